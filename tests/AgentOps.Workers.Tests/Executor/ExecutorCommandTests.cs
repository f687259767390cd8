using System.Text.Json;
using AgentOps.Protos.Api;
using AgentOps.Protos.V1;
using AgentOps.Workers.Executor;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Workers.Tests.Executor;

/// <summary>The executor end to end: manifest, real process sandboxes, the real gRPC transport to a stand-in trainer.</summary>
public sealed class ExecutorCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentops-executor-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private TrainingRun Manifest(string environment, int groupSize = 2, string settings = "{}", bool export = false) => Manifests.ParseTrainingRun($$"""
        apiVersion: agentops.dev/v1alpha1
        kind: TrainingRun
        metadata: { name: exec-test, namespace: default }
        spec:
          environment: { name: {{environment}}, seed: 3, settings: {{settings}}, eval: { tasks: 5, seed: 777 } }
          algorithm: { groupSize: {{groupSize}} }
          sandbox: { runtime: process, warmPerReplica: 2, limits: { cellTimeoutSeconds: 20, episodeTimeoutSeconds: 120 } }
          export: { sftJsonl: {{(export ? "true" : "false")}}, minReward: 1.0 }
        """).GetValueOrThrow("test");

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token;

    [Fact]
    public async Task Eval_writes_one_result_line_per_held_out_task_and_never_exports_them()
    {
        var results = Path.Combine(_dir, "results.jsonl");
        var cl = ExecutorCommandLine.Parse(["--manifest", "unused.yaml", "--split", "eval", "--results", results, "--executor", "ex-a",
            "--tools-dir", Path.Combine(_dir, "tools"), "--recover-rate", "0"]);
        var summary = await ExecutorCommand.RunAsync(cl, Manifest("countdown", export: true), NullLoggerFactory.Instance, TimeProvider.System, Timeout());
        Assert.Equal(5, summary.Episodes);
        Assert.Equal(1.0, summary.SuccessRate);
        var lines = File.ReadAllLines(results).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(5, lines.Count);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"countdown-eval777-{i}").Order(), lines.Select(l => l.GetProperty("task_id").GetString()!).Order());
        Assert.All(lines, l =>
        {
            Assert.Equal("answered", l.GetProperty("outcome").GetString());
            Assert.Equal(1, l.GetProperty("reward").GetDouble());
            Assert.True(l.GetProperty("success").GetBoolean());
            Assert.Equal("eval", l.GetProperty("split").GetString());
            Assert.Equal(2, l.GetProperty("turns").GetInt32());
        });
        // Held-out episodes never become training data, whatever the flags say.
        foreach (var flag in new[] { "--sft-export", "--export-dir" })
            Assert.StartsWith($"{flag}: held-out (eval) episodes are never exported as training data",
                Assert.Throws<ArgumentException>(() => ExecutorCommandLine.Parse(["--manifest", "m.yaml", "--split", "eval", "--results", results, flag, _dir])).Message);
    }

    [Fact]
    public async Task Train_exports_the_policys_rewarded_rl_episodes_to_its_file_in_the_export_dir()
    {
        await using var trainer = await TrainerPeer.StartAsync("sft", "rl", "rl", "done");
        trainer.Policy.WrongEvery = 3;
        var exportDir = Path.Combine(_dir, "export");
        var cl = ExecutorCommandLine.Parse(["--manifest", "unused.yaml", "--policy", trainer.Address, "--gateway", trainer.Address,
            "--executor", "ex-e", "--tools-dir", Path.Combine(_dir, "tools"), "--export-dir", exportDir]);
        await ExecutorCommand.RunAsync(cl, Manifest("arithmetic", export: true), NullLoggerFactory.Instance, TimeProvider.System, Timeout());

        var received = trainer.Ingest.Received.ToList();
        var rl = received.Where(t => t.Split == "train").ToList();
        Assert.Contains(rl, t => t.Reward.Total < 1); // the filter has something to drop
        Assert.Contains(received, t => t.Split == "sft" && t.Reward.Total >= 1); // and demonstrations it must leave out
        var exported = File.ReadAllLines(Path.Combine(exportDir, "sft-ex-e.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(rl.Where(t => t.Reward.Total >= 1).Select(t => t.TrajectoryId).Order(), exported.Select(e => e.GetProperty("trajectory_id").GetString()!).Order());
        Assert.All(exported, e => Assert.Equal("assistant", e.GetProperty("messages")[1].GetProperty("role").GetString()));

        // spec.export.sftJsonl: false: the same flag writes nothing.
        var quiet = Path.Combine(_dir, "quiet");
        await using var again = await TrainerPeer.StartAsync("rl", "done");
        cl = cl with { Policy = again.Address, Gateway = again.Address, ExportDir = quiet };
        await ExecutorCommand.RunAsync(cl, Manifest("arithmetic"), NullLoggerFactory.Instance, TimeProvider.System, Timeout());
        Assert.NotEmpty(again.Ingest.Received);
        Assert.False(Directory.Exists(quiet));
    }

    private static int Ops(string question) => question.Count(c => c is '+' or '-' or '*');

    [Fact]
    public async Task Arithmetic_eval_uses_the_eval_ops_range_and_each_result_carries_the_decoded_transcript()
    {
        var results = Path.Combine(_dir, "results.jsonl");
        var cl = ExecutorCommandLine.Parse(["--manifest", "unused.yaml", "--split", "eval", "--results", results, "--executor", "ex-t",
            "--tools-dir", Path.Combine(_dir, "tools"), "--recover-rate", "0"]);
        var run = Manifest("arithmetic", settings: "{ minOps: \"1\", maxOps: \"1\", evalMinOps: \"4\", evalMaxOps: \"4\" }");
        var summary = await ExecutorCommand.RunAsync(cl, run, NullLoggerFactory.Instance, TimeProvider.System, Timeout());
        Assert.Equal(5, summary.Episodes);
        Assert.Equal(1.0, summary.SuccessRate);
        var lines = File.ReadAllLines(results).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(5, lines.Count);
        Assert.All(lines, l =>
        {
            var question = l.GetProperty("question").GetString()!;
            var expected = l.GetProperty("expected").GetString()!;
            Assert.Equal(4, Ops(question));
            var transcript = l.GetProperty("transcript").GetString()!;
            // Prompt, the action with its code, the interpreter's output, then the answer, in order.
            var at = new[] { question, $"<code>print({question})</code>", $"<output>{expected}", $"<answer>{expected}</answer>" }
                .Select(part => transcript.IndexOf(part, StringComparison.Ordinal)).ToList();
            Assert.All(at, i => Assert.True(i >= 0, $"transcript lacks a part: {transcript}"));
            Assert.Equal(at.Order(), at);
        });
    }

    [Fact]
    public async Task Train_follows_the_trainers_phase_sft_then_rl_groups_then_done()
    {
        await using var trainer = await TrainerPeer.StartAsync("sft", "rl", "done");
        var cl = ExecutorCommandLine.Parse(["--manifest", "unused.yaml", "--policy", trainer.Address, "--gateway", trainer.Address,
            "--token", "s3cret", "--executor", "ex-b", "--tools-dir", Path.Combine(_dir, "tools"), "--concurrency", "2"]);
        var run = Manifest("arithmetic", groupSize: 3, settings: "{ minOps: \"3\", maxOps: \"3\", sftMinOps: \"1\", sftMaxOps: \"1\" }");
        var summary = await ExecutorCommand.RunAsync(cl, run, NullLoggerFactory.Instance, TimeProvider.System, Timeout());

        var received = trainer.Ingest.Received.ToList();
        Assert.Equal(summary.Episodes, received.Count);
        Assert.Equal(received.Count, received.Select(t => t.TrajectoryId).Distinct().Count());
        Assert.All(trainer.Ingest.Authorization, a => Assert.Equal("Bearer s3cret", a));
        Assert.All(trainer.Policy.Authorization, a => Assert.Equal("Bearer s3cret", a));

        var sft = received.Where(t => t.Split == "sft").ToList();
        Assert.NotEmpty(sft);
        Assert.All(sft, t =>
        {
            Assert.Equal("scripted", t.Labels["policy"]);
            Assert.Equal(1, t.Reward.Total);
            Assert.All(t.Segments.Where(s => s.Kind == SegmentKind.Generated), s => Assert.Equal(0, s.PolicyVersion));
        });

        var rl = received.Where(t => t.Split == "train").ToList();
        Assert.NotEmpty(rl);
        Assert.True(trainer.Policy.GenerateCalls >= rl.Count * 2);
        foreach (var group in rl.GroupBy(t => t.GroupId))
        {
            Assert.Equal(3, group.Count());
            Assert.Single(group.Select(t => t.TaskId).Distinct());
        }
        Assert.All(rl, t =>
        {
            Assert.Equal("grpc", t.Labels["policy"]);
            Assert.Equal(OutcomeStatus.Answered, t.Outcome.Status);
            Assert.Equal(1, t.Reward.Total);
            var generated = t.Segments.Where(s => s.Kind == SegmentKind.Generated).ToList();
            Assert.All(generated, s => Assert.Equal(5, s.PolicyVersion));
            Assert.All(generated, s => Assert.All(s.Logprobs, lp => Assert.Equal(-0.125f, lp)));
        });
        Assert.Equal(rl.Count + sft.Count, received.Count);
        // Demonstrations draw from sftMinOps..sftMaxOps, RL prompts from minOps..maxOps.
        static string Question(Trajectory t)
        {
            var prompt = AgentOps.Protos.Tokenization.ByteTokenizer.Decode(t.Segments[0].TokenIds.ToArray());
            return prompt[3..prompt.IndexOf('\n')];
        }
        Assert.All(sft, t => Assert.Equal(1, Ops(Question(t))));
        Assert.All(rl, t => Assert.Equal(3, Ops(Question(t))));
    }

    [Fact]
    public async Task A_restarted_executor_of_the_same_name_gets_new_trajectory_and_group_ids()
    {
        // Ids are deterministic (a retried push keeps its id); a restart must not reuse its predecessor's, or the
        // trainer would drop its episodes as duplicates and merge its groups with the old ones.
        var ids = new List<HashSet<string>>();
        for (var incarnation = 0; incarnation < 2; incarnation++)
        {
            await using var trainer = await TrainerPeer.StartAsync("rl", "done");
            var cl = ExecutorCommandLine.Parse(["--manifest", "unused.yaml", "--policy", trainer.Address, "--gateway", trainer.Address,
                "--executor", "ex-r", "--tools-dir", Path.Combine(_dir, "tools")]);
            await ExecutorCommand.RunAsync(cl, Manifest("arithmetic"), NullLoggerFactory.Instance, TimeProvider.System, Timeout());
            var received = trainer.Ingest.Received.ToList();
            Assert.NotEmpty(received);
            Assert.All(received, t => Assert.StartsWith("ex-r.", t.GroupId));
            ids.Add(received.SelectMany(t => new[] { t.TrajectoryId, t.GroupId, t.EpisodeId }).ToHashSet());
            await Task.Delay(5);
        }
        Assert.Empty(ids[0].Intersect(ids[1]));
    }

    [Fact]
    public async Task Its_metrics_port_is_scraped_by_a_real_prometheus_with_the_process_and_runtime_metrics()
    {
        await using var trainer = await TrainerPeer.StartAsync("sft"); // demonstrations until cancelled
        var port = AgentOps.Testing.LoopbackPort.Next();
        var cl = ExecutorCommandLine.Parse(["--manifest", "unused.yaml", "--policy", trainer.Address, "--gateway", trainer.Address,
            "--token", "s3cret", "--executor", "ex-m", "--tools-dir", Path.Combine(_dir, "tools"), "--concurrency", "1",
            "--metrics-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var running = ExecutorCommand.RunAsync(cl, Manifest("arithmetic"), NullLoggerFactory.Instance, TimeProvider.System, stop.Token);
        try
        {
            await using var prometheus = await AgentOps.Testing.Prometheus.PrometheusServer.StartAsync([$"127.0.0.1:{port}"]);
            var episodes = await prometheus.WaitForAsync("sum(agentops_executor_episodes_total)", s => s.Value >= 1, TimeSpan.FromSeconds(90));
            Assert.True(episodes.Value >= 1);
            // prometheus-net's standard process and .NET runtime metrics, next to ours
            Assert.True((await prometheus.WaitForAsync("process_cpu_seconds_total", s => s.Value > 0, TimeSpan.FromSeconds(30))).Value > 0);
            await prometheus.WaitForAsync("dotnet_total_memory_bytes", s => s.Value > 0, TimeSpan.FromSeconds(30));
            await prometheus.WaitForAsync("up", s => s.Value == 1, TimeSpan.FromSeconds(30));
        }
        finally
        {
            await stop.CancelAsync();
            try { await running; } catch (OperationCanceledException) { }
        }
    }

    [Fact]
    public async Task A_sandbox_that_cannot_start_is_reported_as_infra_start_failure()
    {
        var results = Path.Combine(_dir, "r.jsonl");
        var run = Manifest("arithmetic");
        var loop = new AgentOps.Workers.Agent.AgentLoop(ManifestMapping.Agent(run), TimeProvider.System);
        var env = new AgentOps.Workers.Environments.Arithmetic.ArithmeticEnvironment(ManifestMapping.Environment(run));
        // A real factory whose interpreter is /bin/false: every start fails the way a broken runtime does.
        var options = ManifestMapping.Sandbox(run, "process", false, _dir) with { PythonPath = "/bin/false", StartTimeoutSeconds = 10 };
        using var sandboxMetrics = new AgentOps.Workers.Sandbox.SandboxMetrics();
        var factory = AgentOps.Workers.Sandbox.SandboxFactory.Create(options, NullLoggerFactory.Instance, sandboxMetrics);
        var runner = new EpisodeRunner(loop, env, async ct => await factory.StartAsync(ct), TimeProvider.System);
        using var metrics = new ExecutorMetrics();
        await using var sink = new ResultsFileSink(results);
        var settings = new ExecutorSettings("exec-test", "ex-c", ManifestMapping.Environment(run), ManifestMapping.Agent(run), "eval", 2);
        var summary = await new ExecutorService(settings, runner, new AgentOps.Workers.Agent.ScriptedPolicy(), null, sink, metrics,
            NullLogger.Instance, TimeProvider.System).RunAsync(Timeout());
        Assert.Equal(2, summary.InfraFailures);
        await sink.DisposeAsync();
        Assert.All(File.ReadAllLines(results), l => Assert.Contains("\"outcome\":\"infra_sandbox_start_failed\"", l));
        Assert.Equal("--gateway: required unless --results FILE is given (eval)",
            Assert.Throws<ArgumentException>(() => ExecutorCommandLine.Parse(["--manifest", "m.yaml"])).Message);
    }

    [Fact]
    public void Runtime_defaults_to_AGENTOPS_SANDBOX_RUNTIME_and_the_flag_wins()
    {
        string[] args = ["--manifest", "m.yaml", "--split", "eval", "--results", "r.jsonl"];
        var before = Environment.GetEnvironmentVariable("AGENTOPS_SANDBOX_RUNTIME");
        try
        {
            // "process" is what every test here runs on, so a parallel test that reads it is unaffected.
            Environment.SetEnvironmentVariable("AGENTOPS_SANDBOX_RUNTIME", "process");
            Assert.Equal("process", ExecutorCommandLine.Parse(args).Runtime);
            Assert.Equal("gvisor", ExecutorCommandLine.Parse([.. args, "--runtime", "gvisor"]).Runtime);
            Environment.SetEnvironmentVariable("AGENTOPS_SANDBOX_RUNTIME", null);
            Assert.Null(ExecutorCommandLine.Parse(args).Runtime);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AGENTOPS_SANDBOX_RUNTIME", before);
        }
    }
}
