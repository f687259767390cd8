using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using AgentOps.Telemetry.Grpc;
using AgentOps.Protos.V1;
using AgentOps.Testing;
using AgentOps.Trainer.Checkpoints;
using AgentOps.Trainer.Training;

namespace AgentOps.Trainer.Tests.Training;

public partial class TrainerProcessTests
{
    [Fact]
    public async Task A_target_loss_ends_SFT_early_RL_follows_and_a_resumed_trainer_keeps_the_shorter_SFT_phase()
    {
        using var dir = new TempDirectory("agentops-trainer-target");
        var manifest = Path.Combine(dir.Path, "run.yaml");
        // Any loss meets a target of 100: SFT ends after its first full window instead of at step 100.
        await File.WriteAllTextAsync(manifest, Manifest
            .Replace("steps: 3, batchSize: 4", "steps: 100, batchSize: 4, targetLoss: 100")
            .Replace("everySteps: 2", "everySteps: 1000"));
        var runDir = Path.Combine(dir.Path, "run");
        var window = SftLossTarget.Window;

        using (var trainer = StartTrainer(manifest, runDir))
        {
            var (grpcPort, metricsPort) = await WaitForPorts(trainer);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
            Assert.Equal(102, (await new Policy.PolicyClient(channel).InfoAsync(new InfoRequest())).TotalSteps);

            await Push(channel, Enumerable.Range(0, window * 4).Select(i => Demonstration($"demo-{i}", i)));
            // The phase switches before the step is published, so wait on the step.
            var status = await WaitForStatus(http, s => s.GetProperty("step").GetInt64() >= window, trainer);
            Assert.Equal("rl", status.GetProperty("phase").GetString());
            Assert.Equal(window, status.GetProperty("step").GetInt64());
            Assert.Equal(window + 2, status.GetProperty("totalSteps").GetInt64());
            Assert.Contains($"SFT reached its target loss", trainer.OutputTail);

            var sft = CheckpointStore.ReadState(Path.Combine(runDir, "checkpoints", "sft"));
            Assert.Equal(window, sft.Step);
            Assert.Equal(window, sft.SftSteps);

            using var kill = System.Diagnostics.Process.Start("kill", ["-TERM", trainer.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            Assert.True(trainer.WaitForExit(TimeSpan.FromSeconds(60)), $"trainer did not exit after SIGTERM: {trainer.OutputTail}");
        }
        var lines = MetricsJsonl.Read(Path.Combine(runDir, "metrics.jsonl")).ToList();
        Assert.Equal(Enumerable.Repeat("sft", window), lines.Select(l => l.Phase));

        // Resumed from the step-10 checkpoint: still RL with 2 steps left, not SFT step 10 of 100.
        using (var again = StartTrainer(manifest, runDir))
        {
            var (grpcPort, _) = await WaitForPorts(again);
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
            var info = await new Policy.PolicyClient(channel).InfoAsync(new InfoRequest());
            Assert.Equal("rl", info.Phase);
            Assert.Equal(window, info.Step);
            Assert.Equal(window + 2, info.TotalSteps);
        }
    }
}
