using System.Net;
using System.Net.Sockets;
using AgentOps.Operator.Commands;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Tests.Reconcile;
using AgentOps.Operator.Tests.Kube;
using AgentOps.Testing.Kube;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Operator.Tests.Commands;

/// <summary>`agentops operator` end to end: kubeconfig, leader election, controllers and the metrics port.</summary>
public sealed class OperatorCommandTests
{
    [Fact]
    public async Task Operator_TakesTheLease_ReconcilesARun_AndExportsMetrics()
    {
        var plane = await RealCluster.PlaneAsync();
        var ns = await RealCluster.NamespaceAsync("op");
        var dir = Directory.CreateTempSubdirectory("agentops-op-").FullName;
        try
        {
            var kubeconfig = Path.Combine(dir, "config");
            File.WriteAllText(kubeconfig, plane.Kubeconfig(KubeControlPlane.AdminToken, ns));
            var port = FreePort();
            using var cts = new CancellationTokenSource();
            var run = OperatorCommand.RunAsync(new OperatorOptions { Kubeconfig = kubeconfig, Namespace = ns, MetricsPort = port, Identity = "op-0" },
                cts.Token, NullLoggerFactory.Instance);

            using var client = await RealCluster.AdminAsync();
            using var kubelet = new CancellationTokenSource();
            var marking = PodReadiness.RunAsync(client.Api, ns, null, kubelet.Token);
            await client.CreateAsync(ResourceType.TrainingRun, OperatorHarness.YamlToJson(OperatorHarness.RunYaml("cmd", "", ns)), default);
            await WaitAsync(async () => (string?)(await client.GetAsync(ResourceType.TrainingRun, ns, "cmd", default))?["status"]?["phase"] == "Running");
            var lease = await client.GetAsync(ResourceType.Lease, ns, "agentops-operator", default);
            Assert.Equal("op-0", (string?)lease!["spec"]!["holderIdentity"]);

            using var http = new HttpClient();
            var text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
            Assert.Contains("agentops_operator_reconcile_duration_seconds", text);
            Assert.Contains("kind=\"TrainingRun\"", text);
            Assert.Contains("agentops_operator_leader 1", text);
            Assert.Contains("agentops_operator_workqueue_depth", text);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{port}/readyz")).StatusCode);

            await kubelet.CancelAsync();
            await marking;
            await cts.CancelAsync();
            Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in 60 s");
            await Task.Delay(50);
        }
    }
}
