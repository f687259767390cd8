using AgentOps.Trainer.Algorithms;
using AgentOps.Trainer.Rollout;
using static AgentOps.Trainer.Tests.Rollout.TestTrajectories;

namespace AgentOps.Trainer.Tests.Algorithms;

public class AdvantageTests
{
    private static PackedTrajectory P(string id, string group, double reward) => TrajectoryPacker.Pack(Simple(id, group, reward), 512);

    [Fact]
    public void Grpo_advantages_are_group_normalised()
    {
        var adv = Grpo.GroupAdvantages([1, 0, 0, 1], new GrpoOptions(StdEpsilon: 0));
        Assert.Equal(new[] { 1.0, -1.0, -1.0, 1.0 }, adv);

        var adv2 = Grpo.GroupAdvantages([3, 1], new GrpoOptions(NormalizeByStd: false));
        Assert.Equal(new[] { 1.0, -1.0 }, adv2);
    }

    [Fact]
    public void Grpo_broadcasts_one_advantage_over_the_trained_tokens_only()
    {
        var g = new RolloutGroup("A", [P("a", "A", 1), P("b", "A", 0)], 0);
        var (rows, adv) = Grpo.TokenAdvantages([g], new GrpoOptions(StdEpsilon: 0));
        Assert.Equal(2, rows.Count);
        for (var t = 0; t < rows[0].Length; t++)
        {
            Assert.Equal(rows[0].LossMask[t] == 1 ? 1f : 0f, adv[0][t]);
            Assert.Equal(rows[1].LossMask[t] == 1 ? -1f : 0f, adv[1][t]);
        }
    }

    [Fact]
    public void Group_filter_drops_groups_whose_rewards_are_all_equal()
    {
        Assert.False(GroupFilter.IsInformative(new RolloutGroup("A", [P("a", "A", 1), P("b", "A", 1)], 0)));
        Assert.False(GroupFilter.IsInformative(new RolloutGroup("A", [P("a", "A", 0), P("b", "A", 0)], 0)));
        Assert.False(GroupFilter.IsInformative(new RolloutGroup("A", [P("a", "A", 1)], 3)));
        Assert.True(GroupFilter.IsInformative(new RolloutGroup("A", [P("a", "A", 1), P("b", "A", 0.5)], 0)));
    }

    [Fact]
    public void Reinforce_plus_plus_gives_each_step_its_discounted_return_whitened_over_the_batch()
    {
        // Episode a: two steps, reward 1. Episode b: one step, reward 0. γ = 0.5.
        var a = TrajectoryPacker.Pack(Episode("a", "G", 1.0, Prompt("q"), Generated("xy", 0, 0), ToolOutput("o", 0), Generated("z", 1, 0)), 512);
        var b = TrajectoryPacker.Pack(Episode("b", "G", 0.0, Prompt("q"), Generated("w", 0, 0)), 512);
        var (rows, adv) = ReinforcePlusPlus.TokenAdvantages([new RolloutGroup("G", [a, b], 0)], new ReinforcePlusPlusOptions(Gamma: 0.5, StdEpsilon: 0));

        // Returns per action: a0 = 0.5, a1 = 1, b0 = 0 → mean 0.5, std sqrt(1/6).
        var std = Math.Sqrt(((0.0) + 0.25 + 0.25) / 3);
        var a0 = (float)((0.5 - 0.5) / std);
        var a1 = (float)((1.0 - 0.5) / std);
        var b0 = (float)((0.0 - 0.5) / std);
        // Targets of a: y? tokens q x y o z → targets x y o z → steps 0 0 0 1, mask 1 1 0 1
        Assert.Equal(new[] { a0, a0, 0f, a1 }, adv[0]);
        Assert.Equal(new[] { b0 }, adv[1]);
        Assert.Equal(new[] { 0, 1 }, ReinforcePlusPlus.ActionSteps(rows[0]));
    }

    [Fact]
    public void Reinforce_plus_plus_with_group_baseline_centres_rewards_per_group()
    {
        var g1 = new RolloutGroup("A", [P("a", "A", 1), P("b", "A", 0)], 0);
        var g2 = new RolloutGroup("B", [P("c", "B", 1), P("d", "B", 1), P("e", "B", 0.5)], 0);
        var (_, plain) = ReinforcePlusPlus.TokenAdvantages([g1, g2], new ReinforcePlusPlusOptions());
        var (_, centred) = ReinforcePlusPlus.TokenAdvantages([g1, g2], new ReinforcePlusPlusOptions(GroupBaseline: true));
        // Without a baseline, reward 1 in group B is above the batch mean; centred by group it is barely above.
        Assert.True(plain[2][^1] > 0);
        Assert.True(centred[2][^1] < plain[2][^1]);
        // Whitened: mean 0 over actions.
        Assert.Equal(0.0, centred.Sum(r => r[^1]), 5);
    }

    [Fact]
    public void Gae_skips_masked_positions_and_matches_the_recursion()
    {
        byte[] mask = [0, 1, 0, 0, 1, 1];
        float[] values = [9f, 0.5f, 9f, 9f, 0.25f, 0.75f];
        var (adv, ret) = Gae.Compute(mask, values, reward: 1.0, gamma: 0.9, lambda: 0.8);
        // Last action t=5: δ = 1 - 0.75 = 0.25
        // t=4: δ = 0.9*0.75 - 0.25 = 0.425; A = 0.425 + 0.72*0.25 = 0.605
        // t=1: δ = 0.9*0.25 - 0.5 = -0.275; A = -0.275 + 0.72*0.605 = 0.1606
        Assert.Equal(0.25, adv[5], 5);
        Assert.Equal(0.605, adv[4], 5);
        Assert.Equal(0.1606, adv[1], 5);
        Assert.Equal(0f, adv[0]);
        Assert.Equal(0f, adv[2]);
        Assert.Equal(0.605 + 0.25, ret[4], 5);
    }
}
