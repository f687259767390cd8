using AgentOps.Operator.Kube;
using AgentOps.Testing.Kube;

namespace AgentOps.Operator.Tests.Kube;

public sealed class KubeConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentops-kubeconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Config(string user) => $"""
        apiVersion: v1
        kind: Config
        current-context: dev
        contexts:
        - name: dev
          context: {"{"} cluster: c1, user: u1, namespace: research {"}"}
        clusters:
        - name: c1
          cluster: {"{"} server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true {"}"}
        users:
        - name: u1
          user:
        {user}
        """;

    [Fact]
    public async Task Token_FromTheCurrentContext()
    {
        var c = KubeConfigLoader.FromKubeConfig(Write("config", Config("    token: abc123")), null, TimeProvider.System);
        Assert.Equal(new Uri("https://10.0.0.1:6443"), c.Server);
        Assert.Equal("research", c.Namespace);
        Assert.True(c.InsecureSkipTlsVerify);
        Assert.Equal("abc123", await c.Token.GetTokenAsync(default));
    }

    [Fact]
    public async Task ExecPlugin_RunsTheCommandAndCachesTheTokenUntilExpiry()
    {
        var counter = Path.Combine(_dir, "calls");
        var script = Write("plugin.sh", $$$"""
            #!/bin/sh
            echo x >> {{{counter}}}
            echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin-'"$MY_ENV"'","expirationTimestamp":"2026-01-01T01:00:00Z"}}'
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var c = KubeConfigLoader.FromKubeConfig(Write("config", Config($"""
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: {script}
                  env: [{"{"} name: MY_ENV, value: dev {"}"}]
            """)), null, clock);
        Assert.Equal("from-plugin-dev", await c.Token.GetTokenAsync(default));
        Assert.Equal("from-plugin-dev", await c.Token.GetTokenAsync(default));
        Assert.Single(File.ReadAllLines(counter));
        clock.Advance(TimeSpan.FromMinutes(59.9)); // within 10 s of expiry: refresh
        await c.Token.GetTokenAsync(default);
        Assert.Equal(2, File.ReadAllLines(counter).Length);
    }

    [Fact]
    public async Task ExecPlugin_Failure_SaysWhichCommandAndItsError()
    {
        var c = KubeConfigLoader.FromKubeConfig(Write("config", Config("""
                exec:
                  command: /bin/sh
                  args: ["-c", "echo no credentials here >&2; exit 3"]
            """)), null, TimeProvider.System);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => c.Token.GetTokenAsync(default).AsTask());
        Assert.Equal("exec credential plugin \"/bin/sh\" exited with 3: no credentials here", e.Message);
    }

    [Fact]
    public async Task ServiceAccountTokenFile_IsReReadEveryMinute()
    {
        var token = Write("token", "first");
        var clock = new ManualTimeProvider();
        var source = new FileTokenSource(token, clock);
        Assert.Equal("first", await source.GetTokenAsync(default));
        File.WriteAllText(token, "rotated");
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("first", await source.GetTokenAsync(default));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("rotated", await source.GetTokenAsync(default));
    }

    [Fact]
    public async Task TokenReachesTheApiServerAsABearerHeader()
    {
        await using var server = await FakeKubeApiServer.StartAsync();
        using var client = new KubeClient(new KubeConnection { Server = server.Url, Token = new StaticTokenSource("s3cret") });
        await client.ListAsync(ResourceType.ConfigMap, "ns", default);
        Assert.Equal("Bearer s3cret", server.LastAuthorization);
    }

    [Fact]
    public void ClientCertificate_IsLoadedFromPemData()
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=agentops-test", key,
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string B64(string pem) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pem));
        var c = KubeConfigLoader.FromKubeConfig(Write("config", Config($"""
                client-certificate-data: {B64(cert.ExportCertificatePem())}
                client-key-data: {B64(key.ExportPkcs8PrivateKeyPem())}
            """)), null, TimeProvider.System);
        Assert.NotNull(c.ClientCertificate);
        Assert.True(c.ClientCertificate!.HasPrivateKey);
        Assert.Equal("CN=agentops-test", c.ClientCertificate.Subject);
    }
}
