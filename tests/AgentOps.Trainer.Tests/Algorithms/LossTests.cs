using AgentOps.Protos.V1;
using AgentOps.Trainer.Algorithms;
using AgentOps.Trainer.Rollout;
using AgentOps.Trainer.Engine;
using static TorchSharp.torch;
using static AgentOps.Trainer.Tests.Rollout.TestTrajectories;

namespace AgentOps.Trainer.Tests.Algorithms;

/// <summary>The real losses on leaf logits: values against hand computation, and where gradient flows.</summary>
public class LossTests
{
    private const int Vocab = Protos.Tokenization.ByteTokenizer.VocabSize;

    /// <summary>prompt, a generated turn, interpreter output (masked), a second generated turn.</summary>
    private static PackedTrajectory ToolEpisode(string id, string group, double reward, float logprob = -5.5f) =>
        TrajectoryPacker.Pack(Episode(id, group, reward, Prompt("Q:"), Generated("<code>1+1</code>", 0, 1, logprob),
            ToolOutput("<output>2</output>", 0), Generated("<answer>2</answer>", 1, 1, logprob)), 512);

    private static Tensor Logits(TrainingBatch b, int seed) =>
        tensor(GradCheckRandom(b.Rows * b.Columns * Vocab, seed), [b.Rows, b.Columns, Vocab], requires_grad: true);

    private static float[] GradCheckRandom(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>Asserts the gradient on logits is exactly zero at every mask-0 position and non-zero at mask-1 ones.</summary>
    private static void AssertGradientOnlyOnTrainedTokens(Tensor logits, TrainingBatch b)
    {
        var grad = logits.grad!.ToFloats();
        for (var p = 0; p < b.Rows * b.Columns; p++)
        {
            var norm = 0.0;
            for (var v = 0; v < Vocab; v++) norm += Math.Abs(grad[p * Vocab + v]);
            if (b.LossMask[p] == 0) Assert.True(norm == 0, $"position {p} (mask 0) got gradient {norm}");
            else Assert.True(norm > 0, $"position {p} (mask 1) got no gradient");
        }
    }

    [Fact]
    public void Sft_is_cross_entropy_on_mask_one_tokens_and_interpreter_output_gets_zero_gradient()
    {
        using var scope = NewDisposeScope();
        var b = BatchBuilder.Build([ToolEpisode("a", "g", 1), TrajectoryPacker.Pack(Simple("b", "g", 0), 512)]);
        var logits = Logits(b, 1);
        using var t = new BatchTensors(b, CPU);
        var output = Sft.Loss(logits, t);
        output.Loss.backward();

        // Hand-computed token-mean cross-entropy over mask-1 targets.
        var l = logits.ToFloats();
        double sum = 0;
        var n = 0;
        for (var p = 0; p < b.Rows * b.Columns; p++)
        {
            if (b.LossMask[p] == 0) continue;
            var row = l.AsSpan(p * Vocab, Vocab);
            var max = row.ToArray().Max();
            var lse = max + Math.Log(row.ToArray().Sum(x => Math.Exp(x - max)));
            sum += lse - row[b.Targets[p]];
            n++;
        }
        Assert.Equal(sum / n, output.Loss.item<float>(), 4);
        Assert.Equal(output.Metrics["loss/total"], output.Loss.item<float>(), 6);
        AssertGradientOnlyOnTrainedTokens(logits, b);
    }

    [Fact]
    public void Grpo_loss_at_ratio_one_is_minus_the_token_mean_advantage_and_masked_tokens_get_no_gradient()
    {
        using var scope = NewDisposeScope();
        var rows = new[] { ToolEpisode("a", "g", 1), ToolEpisode("b", "g", 0) };
        var group = new RolloutGroup("g", rows, 0);
        var (r, adv) = Grpo.TokenAdvantages([group], new GrpoOptions(StdEpsilon: 0));
        var b = BatchBuilder.Build(r, adv);
        var logits = Logits(b, 2);
        using var t = new BatchTensors(b, CPU);
        // Behaviour log-probs equal to the current ones: ratio 1 everywhere.
        using var behaviour = Trainer.Model.Functional.TokenLogProbs(logits, t.Targets).detach();
        using var t2 = new BatchTensors(b with { BehaviourLogProbs = behaviour.ToFloats() }, CPU);

        var output = Grpo.Loss(logits, t2, referenceLogProbs: behaviour, new GrpoOptions(KlCoef: 0.1));
        output.Loss.backward();

        // Equal token counts, advantages +1 and -1: the mean is 0, and so is the loss; KL to itself is 0.
        Assert.Equal(0.0, output.Loss.item<float>(), 5);
        Assert.Equal(0.0, output.Metrics["policy/kl"], 6);
        Assert.Equal(0.0, output.Metrics["policy/clip_frac"], 6);
        AssertGradientOnlyOnTrainedTokens(logits, b);
    }

    [Fact]
    public void Clipping_stops_the_gradient_once_the_ratio_left_the_trust_region()
    {
        using var scope = NewDisposeScope();
        var row = ToolEpisode("a", "g", 1, logprob: -50f); // behaviour was far less likely: ratio ≫ 1 + ε
        var b = BatchBuilder.Build([row], [Grpo.Broadcast(row, 1.0)]);
        var logits = Logits(b, 3);
        using var t = new BatchTensors(b, CPU);
        var output = Grpo.Loss(logits, t, null, new GrpoOptions());
        output.Loss.backward();
        Assert.Equal(1.0, output.Metrics["policy/clip_frac"], 6);
        Assert.Equal(-1.2, output.Loss.item<float>(), 5); // -A · (1 + ε) on every trained token
        Assert.All(logits.grad!.ToFloats(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void K3_is_zero_for_equal_policies_and_positive_otherwise()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new[] { -1f, -2f, -0.5f });
        var same = PolicyLoss.K3(a, a).ToFloats();
        Assert.All(same, v => Assert.Equal(0f, v, 6));
        var other = PolicyLoss.K3(a, tensor(new[] { -1.5f, -1f, -0.1f })).ToFloats();
        Assert.All(other, v => Assert.True(v > 0));
        // exp(d) - d - 1 with d = ref - logp = -0.5
        Assert.Equal(Math.Exp(-0.5) + 0.5 - 1, other[0], 5);
    }

    [Fact]
    public void Infra_exclusion_and_the_group_filter_change_the_loss_as_expected()
    {
        // Group A: rewards 1 (18 answer tokens), 0 (22 tokens) and one preempted episode; group B: 1, 1, 1.
        Trajectory Answer(string id, string group, double reward, string answer, OutcomeStatus status = OutcomeStatus.Answered) =>
            Episode(id, group, reward, status, Prompt("Q:"), Generated(answer, 0, 1));
        var a1 = Answer("a1", "A", 1, "<answer>2</answer>");
        var a2 = Answer("a2", "A", 0, "<answer>22222</answer>");
        var a3 = Answer("a3", "A", 0, "<answer>22222</answer>", OutcomeStatus.InfraPreempted);
        var buffer = new UpdateBuffer(new UpdateBufferOptions(GroupSize: 3, GroupFilter: true));
        foreach (var t in new[] { a1, a2, a3, Simple("b1", "B", 1, 1), Simple("b2", "B", 1, 1), Simple("b3", "B", 1, 1) }) buffer.Add(t);
        var groups = buffer.TryTakeGroups(1, currentVersion: 1)!;
        Assert.Equal("A", Assert.Single(groups).GroupId);
        Assert.Equal(1, buffer.Counters.DroppedInfra);
        Assert.Equal(1, buffer.Counters.DroppedGroups);

        // At ratio 1 the loss is -Σ A_i·n_i / Σ n_i over the episodes trained on.
        double LossOf(IReadOnlyList<RolloutGroup> gs)
        {
            using var scope = NewDisposeScope();
            var (rows, adv) = Grpo.TokenAdvantages(gs, new GrpoOptions());
            var b = BatchBuilder.Build(rows, adv);
            var logits = Logits(b, 4);
            using var bt = new BatchTensors(b, CPU);
            using var behaviour = Trainer.Model.Functional.TokenLogProbs(logits, bt.Targets).detach();
            using var t = new BatchTensors(b with { BehaviourLogProbs = behaviour.ToFloats() }, CPU);
            return Grpo.Loss(logits, t, null, new GrpoOptions()).Loss.item<float>();
        }

        // Infra excluded: advantages +1 and -1 → -(18 - 22) / 40.
        Assert.Equal(0.1, LossOf(groups), 4);
        // Scored as a fake 0: rewards 1, 0, 0 → +√2, -1/√2, -1/√2 → a different loss.
        var fake = new RolloutGroup("A", [TrajectoryPacker.Pack(a1, 512), TrajectoryPacker.Pack(a2, 512), TrajectoryPacker.Pack(a3, 512)], 0);
        Assert.Equal(-(Math.Sqrt(2) * 18 - 44 / Math.Sqrt(2)) / 62, LossOf([fake]), 4);
        // The uniform group B, had it not been filtered, adds tokens with advantage 0: it only dilutes the mean.
        var withB = LossOf([groups[0], new RolloutGroup("B", [TrajectoryPacker.Pack(Simple("b1", "B", 1, 1), 512), TrajectoryPacker.Pack(Simple("b2", "B", 1, 1), 512)], 0)]);
        Assert.Equal(0.1 * 40 / (40 + 2 * 18), withB, 4);
    }
}
