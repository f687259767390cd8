using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentOps.Operator.Tests.Local;

// `agentops run` end to end through every real part: the CLI binary, the supervisor's local processes, our
// gRPC transport, the trainer on libtorch, the executors' process sandboxes (real python REPL), the
// in-process queue and Redis (a redis-server the CLI starts), checkpoints, resume, eval and the report.
[Collection(AgentopsRunCollection.Name)]
public sealed class EndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();

    private static string Manifest(int rlSteps, int demonstrations = 0) => $$"""
        apiVersion: agentops.dev/v1alpha1
        kind: TrainingRun
        metadata: { name: e2e, namespace: default }
        spec:
          environment: { name: arithmetic, seed: 3, tasksPerStep: 2, settings: { minOps: "1", maxOps: "2" }, eval: { tasks: 4, seed: 100000 } }
          agent: { maxTurns: 2, maxNewTokens: 24, maxContextTokens: 192, temperature: 1.0 }
          policy: { preset: tiny, sft: { enabled: true, steps: 3, batchSize: 4, learningRate: 3e-3, demonstrations: {{demonstrations}} } }
          algorithm: { name: grpo, steps: {{rlSteps}}, groupSize: 2, learningRate: 1e-3, warmupSteps: 0, groupFilter: false }
          sandbox: { runtime: process, replicas: 1, warmPerReplica: 2 }
          checkpoint: { everySteps: 2, keep: 2 }
        """;

    private static List<(long Step, string Phase)> Steps(string runDir) =>
        File.ReadLines(Path.Combine(runDir, "metrics.jsonl")).Where(l => l.Trim().Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (e.GetProperty("step").GetInt64(), e.GetProperty("phase").GetString()!)).ToList();

    private static long PolicyVersion(string stdout)
    {
        var m = Regex.Matches(stdout, @"step \d+/\d+  v(\d+)");
        Assert.True(m.Count > 0, $"no progress line in:\n{stdout}");
        return long.Parse(m[^1].Groups[1].Value);
    }

    [Fact]
    public async Task In_process_queue_trains_checkpoints_resumes_evaluates_and_writes_the_report()
    {
        var manifest = _dir.File("run.yaml", Manifest(rlSteps: 2, demonstrations: 6));
        var runDir = Path.Combine(_dir.Path, "run");

        var (code, stdout, stderr) = await ManifestValidationTests.Agentops("run", manifest, "--run-dir", runDir, "--eval-tasks", "4");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("queue       in-process", stdout);
        Assert.Contains("runtime     process", stdout);
        var steps = Steps(runDir);
        Assert.Equal(5, steps.Count);
        Assert.Equal(Enumerable.Range((int)steps[0].Step, 5).Select(i => (long)i), steps.Select(s => s.Step));
        Assert.Equal(["sft", "sft", "sft", "rl", "rl"], steps.Select(s => s.Phase));
        Assert.True(PolicyVersion(stdout) > 0, "the policy version advanced");
        // The SFT data set: 6 demonstrations collected once (then the executors paused), 3 steps x 4 drawn from it.
        Assert.Contains("SFT data set complete: 6 demonstrations", File.ReadAllText(Path.Combine(runDir, "logs", "trainer.log")));
        Assert.True(new FileInfo(Path.Combine(runDir, "demonstrations.pb")).Length > 0);
        Assert.True(Directory.Exists(Path.Combine(runDir, "checkpoints", "sft")));
        Assert.True(Directory.Exists(Path.Combine(runDir, "checkpoints", "latest")));
        var report = File.ReadAllText(Path.Combine(runDir, "report.html"));
        // The untrained row: a --serve-only trainer without a checkpoint serves the seeded initialisation.
        Assert.Contains("<td>untrained</td>", report);
        Assert.DoesNotContain("evaluation of untrained failed", report);
        // Example episodes come from the executor's decoded transcripts (the prompt is their first text block).
        Assert.Contains("<pre class=\"text\">Q: ", report);
        Assert.Contains("<td>after SFT</td>", report);
        Assert.Contains("<td>after RL</td>", report);
        Assert.Equal(4, Regex.Matches(report, "<svg ").Count);

        // The same command with two more RL steps resumes from checkpoints/latest instead of starting over.
        File.WriteAllText(manifest, Manifest(rlSteps: 4));
        (code, stdout, stderr) = await ManifestValidationTests.Agentops("run", manifest, "--run-dir", runDir, "--no-eval", "--resume");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains($"resume      from {runDir}/checkpoints/latest", stdout);
        var resumed = Steps(runDir);
        Assert.Equal(Enumerable.Range((int)steps[0].Step, 7).Select(i => (long)i), resumed.Select(s => s.Step));
        Assert.Equal(["rl", "rl"], resumed.Skip(5).Select(s => s.Phase));
    }

    [Fact]
    public async Task Redis_queue_carries_every_trajectory_through_the_gateway_exactly_once()
    {
        await using var redis = await AgentOps.Testing.Redis.RedisServer.StartAsync();
        var manifest = _dir.File("run.yaml", Manifest(rlSteps: 2));
        var runDir = Path.Combine(_dir.Path, "run-redis");

        var (code, stdout, stderr) = await ManifestValidationTests.Agentops("run", manifest, "--run-dir", runDir, "--redis", $"redis://{redis.Endpoint}", "--no-eval");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains($"queue       redis at redis://{redis.Endpoint}", stdout);
        Assert.Equal(5, Steps(runDir).Count);
        Assert.True(PolicyVersion(stdout) > 0);
        Assert.True(File.Exists(Path.Combine(runDir, "report.html")));
        Assert.Contains("--run e2e --token-file", File.ReadAllText(Path.Combine(runDir, "logs", "gateway.log")));

        // Exactly once: every episode an executor finished is in the stream, once, and the trainer saw no copy.
        using var mux = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var entries = (StackExchange.Redis.RedisResult[])(await mux.GetDatabase().ExecuteAsync("XRANGE", "agentops:{e2e}:trajectories", "-", "+"))!;
        var ids = entries.Select(e => ((StackExchange.Redis.RedisResult[])((StackExchange.Redis.RedisResult[])e!)[1]!))
            .Select(fields => (string)fields[Array.FindIndex(fields, f => (string?)f == "id") + 1]!).ToList();
        var pushed = Directory.GetFiles(Path.Combine(runDir, "logs"), "executor-*.log")
            .Select(f => Regex.Match(File.ReadAllText(f), @"done: (\d+) episodes"))
            .Select(m => m.Success ? int.Parse(m.Groups[1].Value) : throw new Xunit.Sdk.XunitException("an executor did not finish its episodes")).Sum();
        Assert.True(pushed > 0);
        Assert.Equal(pushed, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var duplicates = File.ReadLines(Path.Combine(runDir, "metrics.jsonl")).Where(l => l.Trim().Length > 0)
            .Sum(l => JsonDocument.Parse(l).RootElement.GetProperty("metrics").TryGetProperty("rollout/dropped_duplicate", out var d) ? d.GetDouble() : 0);
        Assert.Equal(0, duplicates);
    }

    public void Dispose() => _dir.Dispose();
}
