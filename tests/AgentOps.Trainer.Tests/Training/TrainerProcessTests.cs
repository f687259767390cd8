using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Net.Client;
using AgentOps.Telemetry.Grpc;
using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using AgentOps.Testing;
using AgentOps.Trainer.Training;
using Google.Protobuf;

namespace AgentOps.Trainer.Tests.Training;

/// <summary>The real agentops-trainer process: SFT demonstrations and RL groups pushed over gRPC, /status, checkpoints, resume.</summary>
public partial class TrainerProcessTests
{
    private const string Manifest = """
        apiVersion: agentops.dev/v1alpha1
        kind: TrainingRun
        metadata: { name: e2e, namespace: default }
        spec:
          environment: { name: arithmetic, seed: 1, tasksPerStep: 1 }
          agent: { maxContextTokens: 64, maxNewTokens: 16 }
          policy: { preset: tiny, sft: { enabled: true, steps: 3, batchSize: 4, learningRate: 3e-3 } }
          algorithm: { name: grpo, steps: 2, groupSize: 2, learningRate: 1e-3, warmupSteps: 0, klCoef: 0.01 }
          checkpoint: { everySteps: 2, keep: 3 }
        """;

    [Fact]
    public async Task Trainer_process_learns_from_pushed_trajectories_serves_versions_checkpoints_and_resumes()
    {
        using var dir = new TempDirectory("agentops-trainer-e2e");
        var manifest = Path.Combine(dir.Path, "run.yaml");
        await File.WriteAllTextAsync(manifest, Manifest);
        var runDir = Path.Combine(dir.Path, "run");

        using (var trainer = StartTrainer(manifest, runDir))
        {
            var (grpcPort, metricsPort) = await WaitForPorts(trainer);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
            var policy = new Policy.PolicyClient(channel);

            var info = await policy.InfoAsync(new InfoRequest());
            Assert.Equal("sft", info.Phase);
            Assert.Equal(5, info.TotalSteps);
            Assert.Equal(0, info.PolicyVersion);

            // Cold start: 3 steps of 4 demonstrations.
            await Push(channel, Enumerable.Range(0, 12).Select(i => Demonstration($"demo-{i}", i)));
            var status = await WaitForStatus(http, s => s.GetProperty("step").GetInt64() >= 3, trainer);
            Assert.Equal("rl", status.GetProperty("phase").GetString());
            Assert.Equal(3, status.GetProperty("policyVersion").GetInt64());
            Assert.Equal(12, status.GetProperty("trajectoriesIngested").GetInt64());
            Assert.True(Directory.Exists(Path.Combine(runDir, "checkpoints", "sft")), "the SFT checkpoint");
            Assert.True(Directory.Exists(Path.Combine(runDir, "checkpoints", "step-2")), "checkpoint every 2 steps");

            // RL: sample from the served policy, score in C#, push groups of 2; a uniform group is filtered out.
            var generated = await policy.GenerateAsync(new GenerateRequest { PromptTokenIds = { ByteTokenizer.Encode("Q:1+2=\n") }, MaxNewTokens = 8, Temperature = 1 });
            Assert.Equal(3, generated.PolicyVersion);
            Assert.Equal(generated.TokenIds.Count, generated.Logprobs.Count);
            Assert.InRange(generated.TokenIds.Count, 1, 8);
            await Push(channel, [
                Sampled("u1", "uniform", 1, generated), Sampled("u2", "uniform", 1, generated),
                Sampled("a1", "g1", 1, generated), Sampled("a2", "g1", 0, generated),
                Sampled("b1", "g2", 0, generated), Sampled("b2", "g2", 1, generated, OutcomeStatus.InfraSandboxCrashed),
                Sampled("c1", "g3", 1, generated), Sampled("c2", "g3", 0, generated)]);
            status = await WaitForStatus(http, s => s.GetProperty("phase").GetString() == "done", trainer);
            Assert.Equal(5, status.GetProperty("step").GetInt64());
            Assert.Equal(5, status.GetProperty("policyVersion").GetInt64());
            Assert.Equal(0.5, status.GetProperty("meanReward").GetDouble(), 6);
            Assert.Equal("done", (await policy.InfoAsync(new InfoRequest())).Phase);

            var lines = MetricsJsonl.Read(Path.Combine(runDir, "metrics.jsonl")).ToList();
            Assert.Equal(new[] { "sft", "sft", "sft", "rl", "rl" }, lines.Select(l => l.Phase));
            Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, lines.Select(l => l.Step));
            Assert.All(lines.Take(3), l => Assert.InRange(l.Metrics["loss/total"], 0.1, 10)); // byte-level cross-entropy ≈ ln 259 at init
            Assert.All(lines.Skip(3), l => Assert.Equal(2, l.Metrics["rollout/trajectories"]));
            // Dropped: the uniform group, and g2 (one usable member once its infra failure is left out).
            Assert.Equal(2, lines.Sum(l => l.Metrics["rollout/dropped_groups"]));
            Assert.Equal(1, lines.Sum(l => l.Metrics["rollout/dropped_infra"]));
            Assert.True(lines[3].Metrics.ContainsKey("policy/kl"));
            Assert.True(lines[3].Metrics.ContainsKey("policy/clip_frac"));

            var metrics = await http.GetStringAsync("/metrics");
            Assert.Contains("agentops_trainer_policy_version 5", metrics);
            Assert.Contains("agentops_trainer_trajectories_dropped_total{reason=\"infra\"} 1", metrics);
        }

        var latest = Path.Combine(runDir, "checkpoints", "latest");
        Assert.True(Directory.Exists(latest), "latest checkpoint");
        Assert.Contains("\"step\": 5", (await File.ReadAllTextAsync(Path.Combine(latest, "state.json"))).Replace("\"Step\"", "\"step\""), StringComparison.OrdinalIgnoreCase);

        // Resume: a new process picks up at step 5 with version 5 (and is done at once).
        using (var again = StartTrainer(manifest, runDir))
        {
            var (grpcPort, metricsPort) = await WaitForPorts(again);
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
            var info = await new Policy.PolicyClient(channel).InfoAsync(new InfoRequest());
            Assert.Equal(5, info.PolicyVersion);
            Assert.Equal(5, info.Step);
            Assert.Equal("done", info.Phase);
        }
    }

    [Fact]
    public async Task Sigterm_while_waiting_for_data_writes_a_checkpoint_and_exits_cleanly()
    {
        using var dir = new TempDirectory("agentops-trainer-sigterm");
        var manifest = Path.Combine(dir.Path, "run.yaml");
        await File.WriteAllTextAsync(manifest, Manifest.Replace("steps: 3, batchSize: 4", "steps: 100, batchSize: 4").Replace("everySteps: 2", "everySteps: 1000"));
        var runDir = Path.Combine(dir.Path, "run");
        using var trainer = StartTrainer(manifest, runDir);
        var (grpcPort, metricsPort) = await WaitForPorts(trainer);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        await Push(channel, Enumerable.Range(0, 8).Select(i => Demonstration($"demo-{i}", i)));
        await WaitForStatus(http, s => s.GetProperty("step").GetInt64() >= 2, trainer);
        Assert.False(Directory.Exists(Path.Combine(runDir, "checkpoints", "latest")), "no periodic checkpoint before SIGTERM");

        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", trainer.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        Assert.True(trainer.WaitForExit(TimeSpan.FromSeconds(60)), $"trainer did not exit after SIGTERM: {trainer.OutputTail}");
        var state = await File.ReadAllTextAsync(Path.Combine(runDir, "checkpoints", "latest", "state.json"));
        using var json = JsonDocument.Parse(state);
        var step = json.RootElement.EnumerateObject().First(p => p.Name.Equals("step", StringComparison.OrdinalIgnoreCase)).Value.GetInt64();
        Assert.Equal(2, step);
    }

    [Fact]
    public async Task Cuda_without_a_usable_gpu_stops_the_trainer_at_start_saying_why()
    {
        // This build is the CPU one (TorchVariant=cpu), so no GPU is ever usable from it.
        Assert.Equal("cpu", AgentOps.Trainer.Engine.TorchRuntime.Variant);
        using var dir = new TempDirectory("agentops-trainer-cuda");
        var manifest = Path.Combine(dir.Path, "run.yaml");
        await File.WriteAllTextAsync(manifest, Manifest.Replace("  checkpoint:", "  trainer: { device: cuda }\n  checkpoint:"));
        var runDir = Path.Combine(dir.Path, "run");
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "agentops-trainer.dll"), "--manifest", manifest, "--run-dir", runDir, "--grpc-port", "0", "--metrics-port", "0" })
            psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000), "the trainer did not stop");
        Assert.Equal(1, p.ExitCode);
        Assert.Contains("agentops-trainer: spec.trainer.device: \"cuda\", but no GPU is usable", stderr);
        Assert.DoesNotContain("listening", await stdout);
        Assert.False(Directory.Exists(Path.Combine(runDir, "checkpoints")), "nothing trained");
    }

    private static ExternalProcess StartTrainer(string manifest, string runDir)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "agentops-trainer.dll");
        return ExternalProcess.Start("dotnet", [dll, "--manifest", manifest, "--run-dir", runDir, "--grpc-port", "0", "--metrics-port", "0", "--linger-seconds", "120"]);
    }

    [GeneratedRegex(@"listening grpc=(\d+) metrics=(\d+)")]
    private static partial Regex Listening();

    private static async Task<(int Grpc, int Metrics)> WaitForPorts(ExternalProcess p)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var m = Listening().Match(p.OutputTail);
            if (m.Success) return (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value));
            if (p.HasExited) throw new InvalidOperationException($"agentops-trainer exited: {p.OutputTail}");
            await Task.Delay(100);
        }
        throw new TimeoutException($"agentops-trainer did not listen within 90 s: {p.OutputTail}");
    }

    private static async Task<JsonElement> WaitForStatus(HttpClient http, Func<JsonElement, bool> done, ExternalProcess p)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await http.GetFromJsonAsync<JsonElement>("/status");
            if (done(last)) return last;
            if (p.HasExited) throw new InvalidOperationException($"agentops-trainer exited: {p.OutputTail}");
            await Task.Delay(200);
        }
        throw new TimeoutException($"status never matched; last {last}; output {p.OutputTail}");
    }

    private static async Task Push(GrpcChannel channel, IEnumerable<Trajectory> trajectories)
    {
        var call = new TrajectoryIngest.TrajectoryIngestClient(channel).Push();
        foreach (var t in trajectories) await call.RequestStream.WriteAsync(t);
        await call.RequestStream.CompleteAsync();
        var ack = await call.ResponseAsync;
        Assert.Equal(0ul, ack.Duplicates);
    }

    private static Trajectory Demonstration(string id, int i)
    {
        var t = Base(id, "", "sft", 1);
        t.Segments.Add(Seg(SegmentKind.Prompt, ByteTokenizer.Encode($"Q:{i}+1=\n"), 0, null));
        var answer = ByteTokenizer.Encode($"<code>print({i}+1)</code>");
        t.Segments.Add(Seg(SegmentKind.Generated, answer, 0, new float[answer.Length]));
        t.Segments.Add(Seg(SegmentKind.ToolOutput, ByteTokenizer.Encode($"<output>{i + 1}</output>"), 0, null));
        var final = ByteTokenizer.Encode($"<answer>{i + 1}</answer>");
        t.Segments.Add(Seg(SegmentKind.Generated, final, 0, new float[final.Length], step: 1));
        return t;
    }

    private static Trajectory Sampled(string id, string group, double reward, GenerateResponse g, OutcomeStatus status = OutcomeStatus.Answered)
    {
        var t = Base(id, group, "train", reward);
        t.Outcome.Status = status;
        t.Segments.Add(Seg(SegmentKind.Prompt, ByteTokenizer.Encode("Q:1+2=\n"), 0, null));
        t.Segments.Add(Seg(SegmentKind.Generated, g.TokenIds.ToArray(), g.PolicyVersion, g.Logprobs.ToArray()));
        return t;
    }

    private static Trajectory Base(string id, string group, string split, double reward) => new()
    {
        TrajectoryId = id,
        RunId = "e2e",
        EpisodeId = id,
        Environment = "arithmetic",
        GroupId = group,
        Split = split,
        Reward = new Reward { Total = reward },
        Outcome = new Outcome { Status = OutcomeStatus.Answered },
    };

    private static Segment Seg(SegmentKind kind, int[] tokens, long version, float[]? logprobs, int step = 0)
    {
        var s = new Segment { Kind = kind, PolicyVersion = version, StepIndex = step };
        s.TokenIds.AddRange(tokens);
        s.LossMask = ByteString.CopyFrom(Enumerable.Repeat(kind == SegmentKind.Generated ? (byte)1 : (byte)0, tokens.Length).ToArray());
        if (logprobs is not null) s.Logprobs.AddRange(logprobs);
        return s;
    }
}
