using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using AgentOps.Telemetry.Grpc;
using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using AgentOps.Testing;
using AgentOps.Trainer.Model;
using AgentOps.Trainer.Training;

namespace AgentOps.Trainer.Tests.Training;

/// <summary>The real agentops-trainer process: serve-only without a checkpoint, and the group filter's bounded regeneration.</summary>
public partial class TrainerProcessTests
{
    private static ExternalProcess StartTrainerWith(string manifest, string runDir, params string[] extra)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "agentops-trainer.dll");
        return ExternalProcess.Start("dotnet", [dll, "--manifest", manifest, "--run-dir", runDir, "--grpc-port", "0", "--metrics-port", "0", "--linger-seconds", "120", .. extra]);
    }

    [Fact]
    public async Task Serve_only_without_a_checkpoint_serves_the_seeded_random_initialisation()
    {
        using var dir = new TempDirectory("agentops-trainer-untrained");
        var manifest = Path.Combine(dir.Path, "run.yaml");
        await File.WriteAllTextAsync(manifest, Manifest.Replace("seed: 1,", "seed: 7,"));
        using var trainer = StartTrainerWith(manifest, Path.Combine(dir.Path, "run"), "--serve-only");
        var (grpcPort, _) = await WaitForPorts(trainer);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        var policy = new Policy.PolicyClient(channel);
        var info = await policy.InfoAsync(new InfoRequest());
        Assert.Equal("rl", info.Phase);
        Assert.Equal(0, info.PolicyVersion);
        Assert.Contains("seeded random initialisation (seed 7)", trainer.OutputTail);

        var prompt = ByteTokenizer.Encode("Q: 12*34+5\n");
        var served = await policy.GenerateAsync(new GenerateRequest { PromptTokenIds = { prompt }, MaxNewTokens = 24, Temperature = 0 });
        // The same initialisation built here (seed = spec.environment.seed, context = maxContextTokens) generates the
        // same greedy tokens with the same log-probabilities; another seed's log-probabilities differ.
        using var model = new Transformer(ModelConfig.FromPreset("tiny") with { ContextLength = 64 }, seed: 7);
        var local = new Generator(model).Generate([new GenerationRequest(prompt, 24, Temperature: 0)])[0];
        Assert.Equal(local.Tokens, served.TokenIds.ToArray());
        Assert.Equal(local.LogProbs.Length, served.Logprobs.Count);
        for (var i = 0; i < local.LogProbs.Length; i++) Assert.Equal(local.LogProbs[i], served.Logprobs[i], 3);
        using var other = new Transformer(ModelConfig.FromPreset("tiny") with { ContextLength = 64 }, seed: 8);
        var otherLogProbs = new Generator(other).Generate([new GenerationRequest(prompt, 24, Temperature: 0)])[0].LogProbs;
        Assert.True(otherLogProbs.Zip(local.LogProbs).Any(p => Math.Abs(p.First - p.Second) > 1e-2), "seed 8 gives another model");
    }

    [Fact]
    public async Task With_the_group_filter_all_equal_groups_stall_only_maxFilteredBatches_then_the_step_is_taken_and_counted()
    {
        using var dir = new TempDirectory("agentops-trainer-filter");
        var manifest = Path.Combine(dir.Path, "run.yaml");
        await File.WriteAllTextAsync(manifest, Manifest.Replace("sft: { enabled: true", "sft: { enabled: false")
            .Replace("klCoef: 0.01 }", "klCoef: 0.0, groupFilter: true }").Replace("tasksPerStep: 1", "tasksPerStep: 2"));
        var runDir = Path.Combine(dir.Path, "run");
        using var trainer = StartTrainerWith(manifest, runDir, "--max-filtered-batches", "2");
        var (grpcPort, metricsPort) = await WaitForPorts(trainer);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        var policy = new Policy.PolicyClient(channel);
        Assert.Equal("rl", (await policy.InfoAsync(new InfoRequest())).Phase);
        var g = await policy.GenerateAsync(new GenerateRequest { PromptTokenIds = { ByteTokenizer.Encode("Q:1+2=\n") }, MaxNewTokens = 8, Temperature = 1 });

        // A weak policy: every group scores all 0. 2 batches x 2 tasks = 4 filtered groups in a row are tolerated...
        IEnumerable<Trajectory> Zeros(int from, int groups) => Enumerable.Range(from, groups)
            .SelectMany(i => new[] { Sampled($"z{i}a", $"z{i}", 0, g), Sampled($"z{i}b", $"z{i}", 0, g) });
        await Push(channel, Zeros(0, 3));
        await WaitForStatus(http, s => s.GetProperty("trajectoriesIngested").GetInt64() >= 6, trainer);
        await Task.Delay(1500);
        Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>("/status")).GetProperty("step").GetInt64());

        // ...the 4th makes the trainer step with what it has (zero advantage) instead of waiting forever.
        await Push(channel, Zeros(3, 1));
        var status = await WaitForStatus(http, s => s.GetProperty("step").GetInt64() >= 1, trainer);
        Assert.Equal(0.0, status.GetProperty("meanReward").GetDouble());

        // A normal step afterwards: two informative groups.
        await Push(channel, [Sampled("a1", "A", 1, g), Sampled("a2", "A", 0, g), Sampled("b1", "B", 0, g), Sampled("b2", "B", 1, g)]);
        await WaitForStatus(http, s => s.GetProperty("phase").GetString() == "done", trainer);

        var lines = MetricsJsonl.Read(Path.Combine(runDir, "metrics.jsonl")).ToList();
        Assert.True(lines.Count == 2 && lines[0].Metrics["rollout/trajectories"] == 4 && lines[0].Metrics["rollout/dropped_groups"] == 2,
            await File.ReadAllTextAsync(Path.Combine(runDir, "metrics.jsonl")) + trainer.OutputTail);
        Assert.Equal(new[] { "rl", "rl" }, lines.Select(l => l.Phase));
        Assert.Equal(1, lines[0].Metrics[MetricNames.SkippedSteps]);
        Assert.Equal(4, lines[0].Metrics["rollout/trajectories"]);
        // 4 groups filtered, the latest 2 trained on after all (zero advantage): 2 stay dropped.
        Assert.Equal(2, lines[0].Metrics["rollout/dropped_groups"]);
        Assert.Equal(0, lines[1].Metrics[MetricNames.SkippedSteps]);
        Assert.Equal(0.5, lines[1].Metrics["rollout/reward_mean"], 6);
        Assert.Contains("stepped with them anyway", trainer.OutputTail);
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("agentops_trainer_skipped_steps_total 1", metrics);
    }
}
