using AgentOps.Testing.Manifests;
using System.Diagnostics;
using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Reconcile;
using AgentOps.Protos.Api;
using AgentOps.Gateway;
using AgentOps.Workers.Executor;

namespace AgentOps.Operator.Tests.Reconcile;

/// <summary>
/// The container commands the reconcilers generate, parsed by the real CLIs: GatewayOptions.Parse and
/// ExecutorCommandLine.Parse (the parsers agentops-gateway and agentops-workers run), and the agentops-trainer binary itself.
/// </summary>
public sealed class GeneratedCommandTests
{
    private static readonly JsonObject Owner = JsonNode.Parse("""
        {"apiVersion":"agentops.dev/v1alpha1","kind":"TrainingRun",
         "metadata":{"name":"arithmetic-grpo","namespace":"default","uid":"11111111-2222-4333-8444-555555555555"}}
        """)!.AsObject();

    private static readonly TrainingRun Run = Manifests.ParseTrainingRun(ManifestSamples.Full).GetValueOrThrow("team manifest");

    [Fact]
    public void Gateway_command_is_accepted_by_the_gateway_parser_and_reads_the_mounted_token()
    {
        var pod = PodOf(TrainingRunChildren.Build(Owner, Run, new ReconcileOptions()), "Deployment", "arithmetic-grpo-gateway");
        Assert.Equal(["/app/agentops-gateway"], pod["containers"]![0]!["command"]!.AsArray().Select(c => (string)c!).ToArray());
        var g = GatewayOptions.Parse(Args(pod));
        Assert.Equal("arithmetic-grpo", g.Run);
        Assert.Equal("0.0.0.0", g.Bind);
        Assert.Equal(new ReconcileOptions().GatewayPort, g.Port);
        Assert.Equal(Run.Spec.Queue.MaxBacklog, g.MaxBacklog);
        Assert.Equal(Run.Spec.Queue.MaxLength, g.MaxLength);
        Assert.Equal(["arithmetic"], g.Environments);
        Assert.StartsWith("redis://arithmetic-grpo-redis", g.Redis);
        // The token file is the ingest-token Secret's "token" key, mounted where --token-file points.
        var mount = pod["containers"]![0]!["volumeMounts"]!.AsArray().Single(m => g.TokenFile.StartsWith((string)m!["mountPath"]! + "/"))!;
        var volume = pod["volumes"]!.AsArray().Single(v => (string?)v!["name"] == (string?)mount["name"])!;
        Assert.Equal("arithmetic-grpo-ingest-token", (string?)volume["secret"]!["secretName"]);
        Assert.Equal("token", Path.GetFileName(g.TokenFile));
    }

    [Fact]
    public void Executor_command_is_accepted_by_the_executor_parser_with_the_process_runtime_inside_gvisor()
    {
        var poolJson = TrainingRunChildren.Build(Owner, Run, new ReconcileOptions()).Single(c => c.Type.Kind == "SandboxPool").Object;
        var pool = Manifests.ParseSandboxPool(poolJson.ToJsonString(), rejectUnknownFields: true).GetValueOrThrow("inline pool");
        var poolOwner = JsonNode.Parse("""{"apiVersion":"agentops.dev/v1alpha1","kind":"SandboxPool","metadata":{"name":"arithmetic-grpo-executors","namespace":"default","uid":"6"}}""")!.AsObject();
        var pod = PodOf(SandboxPoolChildren.Build(poolOwner, pool, pool.Spec.TrainingRun, new ReconcileOptions()), "Deployment", "arithmetic-grpo-executors-executor");
        Assert.Equal("gvisor", (string?)pod["runtimeClassName"]);
        var env = pod["containers"]![0]!["env"]!.AsArray();
        Assert.Equal("arithmetic-grpo-ingest-token", (string?)env.Single(e => (string?)e!["name"] == "AGENTOPS_TOKEN")!["valueFrom"]!["secretKeyRef"]!["name"]);
        Assert.Equal("metadata.name", (string?)env.Single(e => (string?)e!["name"] == "POD_NAME")!["valueFrom"]!["fieldRef"]!["fieldPath"]);
        // Kubernetes expands $(POD_NAME) from the env above before the process starts.
        var args = Args(pod).Select(a => a.Replace("$(POD_NAME)", "executor-pod-0")).ToArray();
        Assert.Equal("executor", args[0]);
        var e = ExecutorCommandLine.Parse(args[1..]);
        Assert.Equal("process", e.Runtime);
        Assert.Equal("executor-pod-0", e.Executor);
        Assert.Equal(TrainingRunChildren.ManifestPath, e.Manifest);
        Assert.Equal("http://arithmetic-grpo-trainer:50052", e.Policy);
        Assert.Equal("http://arithmetic-grpo-gateway:50051", e.Gateway);
        Assert.Equal(new ReconcileOptions().MetricsPort, e.MetricsPort);
        Assert.Equal("train", e.Split);
        Assert.DoesNotContain(args, a => a == "--token");
    }

    [Fact]
    public async Task Trainer_command_is_accepted_by_the_agentops_trainer_binary()
    {
        var pod = PodOf(TrainingRunChildren.Build(Owner, Run, new ReconcileOptions()), "Deployment", "arithmetic-grpo-trainer");
        Assert.Equal("arithmetic-grpo-ingest-token",
            (string?)pod["containers"]![0]!["env"]!.AsArray().Single(e => (string?)e!["name"] == "AGENTOPS_INGEST_TOKEN")!["valueFrom"]!["secretKeyRef"]!["name"]);
        var args = Args(pod);
        // The trainer parses every flag before acting on --help: an unknown flag exits 2, all known ones exit 0.
        var (code, stdout, stderr) = await Exec(Path.Combine(AppContext.BaseDirectory, "agentops-trainer.dll"), [.. args, "--help"]);
        Assert.True(code == 0, $"agentops-trainer {string.Join(' ', args)} --help: exit {code}\n{stderr}");
        Assert.Contains("usage: agentops-trainer", stdout);
        // And the check can fail: a flag the trainer does not know is rejected, naming it.
        var (bad, _, badErr) = await Exec(Path.Combine(AppContext.BaseDirectory, "agentops-trainer.dll"), [.. args, "--grpc-bind", "0.0.0.0", "--help"]);
        Assert.Equal(2, bad);
        Assert.Contains("unknown argument '--grpc-bind'", badErr);
        Assert.Equal(["--manifest", TrainingRunChildren.ManifestPath, "--run-dir", TrainingRunChildren.RunDir], args[..4]);
    }

    private static JsonObject PodOf(IEnumerable<(ResourceType Type, JsonObject Object)> children, string kind, string name) =>
        children.Single(c => c.Type.Kind == kind && c.Object.Name() == name).Object["spec"]!["template"]!["spec"]!.AsObject();

    private static string[] Args(JsonObject pod) => pod["containers"]![0]!["args"]!.AsArray().Select(a => (string)a!).ToArray();

    private static async Task<(int Code, string Out, string Err)> Exec(string dll, string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); throw; }
        return (p.ExitCode, await stdout, await stderr);
    }
}
