using AgentOps.Operator.Kube;
using AgentOps.Testing.Kube;
using k8s;

namespace AgentOps.Operator.Tests.Kube;

/// <summary>
/// The test process's real control plane (<see cref="KubeControlPlane.SharedAsync"/>) with our CRDs (crds/) applied once.
/// Each test works in namespaces of its own, so tests run side by side on one API server.
/// </summary>
public static class RealCluster
{
    private static readonly Lazy<Task<KubeControlPlane>> Ready = new(InitAsync);

    public static Task<KubeControlPlane> PlaneAsync() => Ready.Value;

    private static async Task<KubeControlPlane> InitAsync()
    {
        return await KubeControlPlane.SharedAsync(async api =>
        {
            foreach (var file in Directory.GetFiles(RepoPaths.Of("crds"), "*.yaml").Order())
                await ManifestInstaller.ApplyCrdsAsync(api, File.ReadAllText(file));
            // The chart's RuntimeClass (runtimeClass.create=true): executor pods name it, and the RuntimeClass admission
            // plugin refuses pods whose class does not exist.
            await api.NodeV1.CreateRuntimeClassAsync(new k8s.Models.V1RuntimeClass
            {
                Metadata = new k8s.Models.V1ObjectMeta { Name = "gvisor" }, Handler = "runsc",
            });
        });
    }

    /// <summary>A client with the admin's token (system:masters).</summary>
    public static async Task<KubeClient> AdminAsync() => new((await PlaneAsync()).Config());

    public static async Task<string> NamespaceAsync(string prefix)
    {
        using var api = (await PlaneAsync()).Admin();
        return await ManifestInstaller.CreateNamespaceAsync(api, prefix);
    }
}
