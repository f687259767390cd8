using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using AgentOps.Trainer.Algorithms;
using AgentOps.Trainer.Model;
using AgentOps.Trainer.Rollout;
using AgentOps.Trainer.Training;
using Google.Protobuf;
using Xunit.Abstractions;

namespace AgentOps.Trainer.Tests.Algorithms;

/// <summary>The real tiny model learning through the real losses (seeded, so repeatable).</summary>
public class LearningTests(ITestOutputHelper output)
{
    private static readonly ModelConfig Toy = ModelConfig.Tiny with { ContextLength = 64 };

    [Fact]
    public void Sft_drives_the_loss_down_on_arithmetic_demonstrations_with_masked_interpreter_output()
    {
        var options = new TrainerOptions { Seed = 3, SftLearningRate = 3e-3, MaxContextTokens = 64 };
        using var learner = new Learner(options, Toy);
        var rng = new Random(5);
        var losses = new List<double>();
        for (var step = 0; step < 40; step++)
        {
            var demos = Enumerable.Range(0, 16).Select(_ => ArithmeticDemonstration(rng)).ToList();
            var r = learner.SftStep(demos, LearningRateSchedule.At(step, 3e-3, 5));
            losses.Add(r.Metrics["loss/total"]);
            Assert.Equal(step + 1, r.PolicyVersion);
        }
        output.WriteLine($"SFT loss {losses[0]:F3} -> {losses[^1]:F3}");
        Assert.True(losses[^5..].Average() < 0.5 * losses[0], $"loss went {losses[0]:F3} -> {losses[^5..].Average():F3}");
    }

    [Fact]
    public void Grpo_raises_the_reward_on_the_digit_toy_within_a_bounded_number_of_steps()
    {
        var (before, after, steps) = TrainToy("grpo");
        output.WriteLine($"GRPO digit toy: success {before:P0} -> {after:P0} in {steps} steps");
        Assert.True(after >= before + 0.3, $"success went {before:P1} -> {after:P1} in {steps} steps");
    }

    [Fact]
    public void Reinforce_plus_plus_raises_the_reward_on_the_digit_toy()
    {
        var (before, after, steps) = TrainToy("reinforce++");
        output.WriteLine($"REINFORCE++ digit toy: success {before:P0} -> {after:P0} in {steps} steps");
        Assert.True(after >= before + 0.3, $"success went {before:P1} -> {after:P1} in {steps} steps");
    }

    [Fact]
    public void Ppo_raises_the_reward_on_the_digit_toy()
    {
        var (before, after, steps) = TrainToy("ppo");
        output.WriteLine($"PPO digit toy: success {before:P0} -> {after:P0} in {steps} steps");
        Assert.True(after >= before + 0.3, $"success went {before:P1} -> {after:P1} in {steps} steps");
    }

    /// <summary>SFT on noisy demonstrations (30% right: sampled success ≈ 12%), then RL until 80% or 60 steps.</summary>
    private (double Before, double After, int Steps) TrainToy(string algorithm)
    {
        var options = new TrainerOptions { Seed = 11, Algorithm = algorithm, MaxContextTokens = 64, ClipRange = 0.2, GroupFilter = true };
        using var learner = new Learner(options, Toy);
        var generator = new Generator(learner.Policy);
        var rng = new Random(7);
        for (var step = 0; step < 30; step++)
            learner.SftStep(Enumerable.Range(0, 32).Select(_ => DigitToy.NoisyDemonstration(rng, 0.3)).ToList(), LearningRateSchedule.At(step, 3e-3, 5));
        var before = DigitToy.SuccessRate(DigitToy.Sample(generator, learner.Gate.Version, 16, 8, new Random(99)));
        learner.FreezeReference();
        var steps = 0;
        for (; steps < 60; steps++)
        {
            var groups = DigitToy.Sample(generator, learner.Gate.Version, 8, 8, rng);
            if (options.GroupFilter) groups = groups.Where(GroupFilter.IsInformative).ToList();
            if (groups.Count == 0) continue;
            learner.RlStep(groups, 3e-3);
            if (steps % 10 == 9 && DigitToy.SuccessRate(DigitToy.Sample(generator, learner.Gate.Version, 16, 8, new Random(99))) >= 0.8) break;
        }
        var after = DigitToy.SuccessRate(DigitToy.Sample(generator, learner.Gate.Version, 16, 8, new Random(99)));
        return (before, after, steps + 1);
    }

    /// <summary>"Q:a+b=" → a code cell, its output (masked), the answer.</summary>
    private static PackedTrajectory ArithmeticDemonstration(Random rng)
    {
        int a = rng.Next(10), b = rng.Next(10);
        var t = new Trajectory { TrajectoryId = Guid.NewGuid().ToString(), Split = "sft", Reward = new Reward { Total = 1 } };
        t.Segments.Add(Seg(SegmentKind.Prompt, $"Q:{a}+{b}=\n", 0));
        t.Segments.Add(Seg(SegmentKind.Generated, $"<code>{a}+{b}</code>", 0));
        t.Segments.Add(Seg(SegmentKind.ToolOutput, $"<output>{a + b}</output>", 0));
        t.Segments.Add(Seg(SegmentKind.Generated, $"<answer>{a + b}</answer>", 1));
        return TrajectoryPacker.Pack(t, 64);
    }

    private static Segment Seg(SegmentKind kind, string text, int step)
    {
        var ids = ByteTokenizer.Encode(text);
        var s = new Segment { Kind = kind, StepIndex = step };
        s.TokenIds.AddRange(ids);
        s.LossMask = ByteString.CopyFrom(Enumerable.Repeat(kind == SegmentKind.Generated ? (byte)1 : (byte)0, ids.Length).ToArray());
        return s;
    }
}
