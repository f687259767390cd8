using AgentOps.Operator.Kube;

namespace AgentOps.Operator.Tests.Kube;

/// <summary>KubeConfig.Load's order and errors; the parsing itself (tokens, certificates, exec plugins) is KubernetesClient's.</summary>
public sealed class KubeConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentops-kubeconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_kubeconfig_token_reaches_the_real_API_server()
    {
        var plane = await RealCluster.PlaneAsync();
        var path = Path.Combine(_dir, "config");
        File.WriteAllText(path, plane.Kubeconfig(Testing.Kube.KubeControlPlane.AdminToken, "kube-system"));
        using var client = new KubeClient(KubeConfig.Load(path));
        Assert.Equal("kube-system", client.DefaultNamespace);
        Assert.NotNull(await client.GetAsync(ResourceType.ConfigMap, "kube-system", "kube-root-ca.crt", default) ?? await WaitRootCa(client));

        // A wrong token is a 401 from the real server, named in the error.
        File.WriteAllText(path, plane.Kubeconfig("not-a-token", "default"));
        using var stranger = new KubeClient(KubeConfig.Load(path));
        var e = await Assert.ThrowsAsync<KubeApiException>(() => stranger.ListAsync(ResourceType.ConfigMap, "default", default));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, e.StatusCode);
    }

    private static async Task<System.Text.Json.Nodes.JsonObject?> WaitRootCa(KubeClient client)
    {
        // The controller-manager publishes kube-root-ca.crt into each namespace shortly after start.
        for (var i = 0; i < 100; i++)
        {
            if (await client.GetAsync(ResourceType.ConfigMap, "kube-system", "kube-root-ca.crt", default) is { } cm) return cm;
            await Task.Delay(200);
        }
        return null;
    }

    [Fact]
    public void An_explicit_path_comes_before_KUBECONFIG_and_a_missing_file_is_named()
    {
        var missing = Path.Combine(_dir, "nope");
        var e = Assert.Throws<InvalidOperationException>(() => KubeConfig.Load(missing));
        Assert.Equal($"{missing}: no such kubeconfig file", e.Message);
    }

    [Fact]
    public void A_kubeconfig_without_a_current_context_is_an_error_naming_the_file()
    {
        var path = Path.Combine(_dir, "config");
        File.WriteAllText(path, "apiVersion: v1\nkind: Config\nclusters: []\n");
        var e = Assert.Throws<InvalidOperationException>(() => KubeConfig.Load(path));
        Assert.StartsWith($"{path}: ", e.Message);
    }
}
