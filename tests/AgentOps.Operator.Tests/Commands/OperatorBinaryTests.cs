using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Tests.Local;
using AgentOps.Operator.Tests.Reconcile;
using AgentOps.Operator.Tests.Kube;
using AgentOps.Testing.Kube;

namespace AgentOps.Operator.Tests.Commands;

/// <summary>The real `agentops operator` process (the chart's flags) against a real kube-apiserver: a TrainingRun gets its children.</summary>
public sealed class OperatorBinaryTests
{
    [Fact]
    public async Task Operator_binary_with_the_charts_flags_reconciles_a_TrainingRun_and_stops_on_SIGTERM()
    {
        var plane = await RealCluster.PlaneAsync();
        var ns = await RealCluster.NamespaceAsync("op");
        var dir = Directory.CreateTempSubdirectory("agentops-opbin-").FullName;
        Process? p = null;
        var output = new StringBuilder();
        try
        {
            var kubeconfig = Path.Combine(dir, "config");
            File.WriteAllText(kubeconfig, plane.Kubeconfig(KubeControlPlane.AdminToken, ns));
            var port = FreePort();
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "agentops.dll"));
            foreach (var a in new[] { "operator", "--kubeconfig", kubeconfig, $"--namespace={ns}", $"--metrics-port={port}", "--metrics-bind=127.0.0.1", "--workers=2",
                         $"--leader-election-namespace={ns}", "--worker-image=registry.test/workers:1",
                         "--trainer-image=registry.test/trainer:1", "--redis-image=registry.test/redis:7" })
                psi.ArgumentList.Add(a);
            psi.Environment["POD_NAME"] = "operator-pod-7";
            p = Process.Start(psi)!;
            p.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            p.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();

            using var client = await RealCluster.AdminAsync();
            await client.CreateAsync(ResourceType.TrainingRun, OperatorHarness.YamlToJson(OperatorHarness.RunYaml("bin", "", ns)), default);
            await WaitAsync(p, output, async () => await client.GetAsync(ResourceType.Deployment, ns, "bin-trainer", default) is not null
                && await client.GetAsync(ResourceType.Deployment, ns, "bin-gateway", default) is not null);

            var trainer = await client.GetAsync(ResourceType.Deployment, ns, "bin-trainer", default);
            Assert.Equal("registry.test/trainer:1", (string?)trainer!["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);
            var gateway = await client.GetAsync(ResourceType.Deployment, ns, "bin-gateway", default);
            Assert.Equal("registry.test/workers:1", (string?)gateway!["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);
            var lease = await client.GetAsync(ResourceType.Lease, ns, "agentops-operator", default);
            Assert.Equal("operator-pod-7", (string?)lease!["spec"]!["holderIdentity"]);
            using var http = new HttpClient();
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{port}/healthz")).StatusCode);

            // SIGTERM (what the kubelet sends) cancels the command: exit 0.
            Assert.Equal(0, Kill(p.Id, 15));
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await p.WaitForExitAsync(exit.Token);
            Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}\n{output}");
            // It released the Lease on the way out, so a standby leads at its next retry (issue 20, bug 7).
            lease = await client.GetAsync(ResourceType.Lease, ns, "agentops-operator", default);
            Assert.True(((string?)lease!["spec"]!["holderIdentity"] ?? "") == "", $"lease still held: {lease.ToJsonString()}\n{output}");
            Assert.Contains("metrics on 127.0.0.1:", output.ToString());
        }
        finally
        {
            if (p is { HasExited: false }) p.Kill(entireProcessTree: true);
            p?.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("--no-such-flag", "--no-such-flag")]
    [InlineData("--workers=0", "--workers: must be between 1 and 64, got 0")]
    [InlineData("--metrics-port=70000", "--metrics-port: must be between 0 and 65535, got 70000")]
    [InlineData("--workers=many", "many")]
    [InlineData("--metrics-bind=everywhere", "--metrics-bind: must be an IP address such as 0.0.0.0 or 127.0.0.1, got \"everywhere\"")]
    public async Task A_bad_flag_exits_2_naming_it(string flag, string named)
    {
        var (code, _, stderr) = await ManifestValidationTests.Agentops("operator", flag);
        Assert.True(code == 2, $"exit {code}\n{stderr}");
        Assert.Contains(named, stderr);
    }

    [Fact]
    public async Task A_kubeconfig_without_a_current_context_exits_1_naming_the_file()
    {
        var dir = Directory.CreateTempSubdirectory("agentops-opbin-").FullName;
        try
        {
            var kubeconfig = Path.Combine(dir, "config");
            File.WriteAllText(kubeconfig, "apiVersion: v1\nkind: Config\nclusters: []\n");
            var (code, _, stderr) = await ManifestValidationTests.Agentops("operator", "--kubeconfig", kubeconfig, "--metrics-port=0");
            Assert.True(code == 1, $"exit {code}\n{stderr}");
            // KubernetesClient's own words follow the file name ("Cannot infer server host url either from context or masterUrl").
            Assert.Contains($"error: {kubeconfig}: ", stderr);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task Every_flag_the_chart_passes_is_one_agentops_operator_accepts()
    {
        var template = File.ReadAllText(RepoPaths.Of("charts", "agentops", "templates", "deployment.yaml"));
        var flags = System.Text.RegularExpressions.Regex.Matches(template, @"^\s*- (--[a-z-]+)=", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("--metrics-port", flags);
        Assert.True(flags.Count >= 6, string.Join(' ', flags));
        var (code, stdout, stderr) = await ManifestValidationTests.Agentops("operator", "--help");
        Assert.True(code == 0, $"exit {code}\n{stderr}");
        Assert.All(flags, f => Assert.Contains(f, stdout));
    }

    [Fact]
    public async Task A_missing_kubeconfig_exits_1_naming_the_file()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"agentops-no-kubeconfig-{Guid.NewGuid():N}");
        var (code, _, stderr) = await ManifestValidationTests.Agentops("operator", "--kubeconfig", missing, "--leader-elect=false", "--metrics-port=0");
        Assert.True(code == 1, $"exit {code}\n{stderr}");
        Assert.Contains(missing, stderr);
        Assert.DoesNotContain("Unhandled exception", stderr);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static async Task WaitAsync(Process p, StringBuilder output, Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!await condition())
        {
            if (p.HasExited) throw new InvalidOperationException($"agentops operator exited {p.ExitCode}:\n{output}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"children not created in 90 s; operator output:\n{output}");
            await Task.Delay(100);
        }
    }
}
