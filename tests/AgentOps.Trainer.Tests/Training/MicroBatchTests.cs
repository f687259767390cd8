using AgentOps.Trainer.Model;
using AgentOps.Trainer.Rollout;
using AgentOps.Trainer.Engine;
using static TorchSharp.torch;
using AgentOps.Trainer.Training;
using static AgentOps.Trainer.Tests.Rollout.TestTrajectories;

namespace AgentOps.Trainer.Tests.Training;

public class MicroBatchTests
{
    private static List<PackedTrajectory> Rows(int n, Random rng) => Enumerable.Range(0, n).Select(i =>
    {
        var t = Episode($"r{i}", $"G{i / 4}", i % 2, Prompt($"Q: {rng.Next(1000)}\n"),
            Generated(new string((char)('a' + rng.Next(26)), 20 + rng.Next(120)), 0, 0), ToolOutput("<output>5</output>", 0), Generated("<answer>5</answer>", 1, 0));
        return TrajectoryPacker.Pack(t, 256);
    }).ToList();

    [Theory]
    [InlineData("sft")]
    [InlineData("grpo")]
    public void Parts_with_accumulated_gradients_give_the_same_update_as_the_whole_batch(string kind)
    {
        var config = ModelConfig.Tiny with { ContextLength = 256 };
        var whole = new TrainerOptions { Seed = 3, MaxContextTokens = 256, MicroBatchTokens = 0, GroupFilter = false };
        var parts = whole with { MicroBatchTokens = 1024 }; // ~160 columns: 6 rows per part, 40 rows = 7 parts
        using var a = new Learner(whole, config);
        using var b = new Learner(parts, config);
        var rows = Rows(40, new Random(9));
        var groups = rows.Chunk(4).Select((m, i) => new RolloutGroup($"G{i}", m, 0)).ToList();
        var ra = kind == "sft" ? a.SftStep(rows, 1e-3) : a.RlStep(groups, 1e-3);
        var rb = kind == "sft" ? b.SftStep(rows, 1e-3) : b.RlStep(groups, 1e-3);

        Assert.Equal(ra.Metrics["loss/total"], rb.Metrics["loss/total"], 4);
        Assert.Equal(ra.Metrics["policy/grad_norm"], rb.Metrics["policy/grad_norm"], 3);
        // The accumulated gradients (left on the parameters after the step) equal the whole batch's up to float
        // summation order; the weights after AdamW would amplify that noise where gradients are ~0 (g / sqrt(g^2)).
        foreach (var ((name, pa), (_, pb)) in a.Policy.named_parameters().Zip(b.Policy.named_parameters()))
        {
            using var ga = ((Tensor)pa).grad!;
            using var gb = ((Tensor)pb).grad!;
            var x = ga.ToFloats();
            var y = gb.ToFloats();
            var scale = Math.Max(1e-3, x.Max(Math.Abs));
            for (var i = 0; i < x.Length; i++) Assert.True(Math.Abs(x[i] - y[i]) <= 1e-4 * scale, $"{name}.grad[{i}]: {x[i]} vs {y[i]}");
        }
    }
}
