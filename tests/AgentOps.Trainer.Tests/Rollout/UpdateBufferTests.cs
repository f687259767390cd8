using AgentOps.Protos.V1;
using AgentOps.Trainer.Rollout;
using static AgentOps.Trainer.Tests.Rollout.TestTrajectories;

namespace AgentOps.Trainer.Tests.Rollout;

public class UpdateBufferTests
{
    [Fact]
    public void Groups_are_taken_only_when_enough_informative_ones_arrived()
    {
        var buffer = new UpdateBuffer(new UpdateBufferOptions(GroupSize: 2, MaxStaleness: 1));
        buffer.Add(Simple("a1", "A", 1, version: 3));
        buffer.Add(Simple("a2", "A", 1, version: 3)); // all equal: filtered
        buffer.Add(Simple("b1", "B", 1, version: 3));
        buffer.Add(Simple("b2", "B", 0, version: 3));
        Assert.Null(buffer.TryTakeGroups(2, currentVersion: 3));
        Assert.Equal(1, buffer.Counters.DroppedGroups);
        Assert.Equal(2, buffer.Counters.DroppedGroupTrajectories);

        buffer.Add(Simple("c1", "C", 0, version: 3));
        buffer.Add(Simple("c2", "C", 1, version: 3));
        var groups = buffer.TryTakeGroups(2, currentVersion: 3);
        Assert.NotNull(groups);
        Assert.Equal(new[] { "B", "C" }, groups.Select(g => g.GroupId));
        Assert.Equal(6, buffer.Counters.Ingested);
        // Success over every sampled episode counts the filtered group A too, and B once although it waited.
        Assert.Equal(6, buffer.Counters.SampledTrajectories);
        Assert.Equal(4, buffer.Counters.SampledSuccesses);
    }

    [Fact]
    public void After_maxFilteredBatches_batches_of_filtered_groups_in_a_row_the_latest_filtered_groups_are_taken()
    {
        var buffer = new UpdateBuffer(new UpdateBufferOptions(GroupSize: 2, MaxFilteredBatches: 2));
        void Uniform(string g) { buffer.Add(Simple($"{g}1", g, 0)); buffer.Add(Simple($"{g}2", g, 0)); }
        Uniform("A");
        buffer.Add(Simple("i1", "I", 1));
        buffer.Add(Simple("i2", "I", 0)); // informative: the run of filtered groups restarts after it
        Uniform("B");
        Uniform("C");
        Uniform("D");
        Assert.Null(buffer.TryTakeGroups(2, 0)); // A, then 3 in a row (B, C, D) < 2 batches x 2
        Uniform("E");
        var groups = buffer.TryTakeGroups(2, 0);
        Assert.NotNull(groups);
        Assert.Equal(new[] { "I", "E" }, groups.Select(g => g.GroupId)); // what it has, topped up with the latest filtered
        Assert.Equal(1, buffer.Counters.ForcedTakes);
        Assert.Equal(4, buffer.Counters.DroppedGroups); // A, B, C, D; E was trained on
        Assert.Equal(8, buffer.Counters.DroppedGroupTrajectories);

        // The count restarted: the next all-filtered run needs 4 groups again.
        Uniform("F"); Uniform("G"); Uniform("H");
        Assert.Null(buffer.TryTakeGroups(2, 0));
        Uniform("J");
        Assert.Equal(new[] { "H", "J" }, buffer.TryTakeGroups(2, 0)!.Select(g => g.GroupId));
        Assert.Equal(2, buffer.Counters.ForcedTakes);

        // MaxFilteredBatches 0: the filter waits forever (the old behaviour).
        var waiting = new UpdateBuffer(new UpdateBufferOptions(GroupSize: 2, MaxFilteredBatches: 0));
        for (var i = 0; i < 10; i++) { waiting.Add(Simple($"w{i}a", $"W{i}", 1)); waiting.Add(Simple($"w{i}b", $"W{i}", 1)); }
        Assert.Null(waiting.TryTakeGroups(2, 0));
        Assert.Equal(0, waiting.Counters.ForcedTakes);
    }

    [Fact]
    public void Infra_failures_are_counted_and_left_out_of_the_group()
    {
        var buffer = new UpdateBuffer(new UpdateBufferOptions(GroupSize: 3));
        buffer.Add(Simple("a1", "A", 1));
        buffer.Add(Simple("a2", "A", 0, status: OutcomeStatus.InfraPolicyUnavailable));
        buffer.Add(Simple("a3", "A", 0));
        var g = Assert.Single(buffer.TryTakeGroups(1, 0)!);
        Assert.Equal(new[] { "a1", "a3" }, g.Members.Select(m => m.TrajectoryId));
        Assert.Equal(1, buffer.Counters.DroppedInfra);
    }

    [Fact]
    public void Stale_trajectories_are_dropped_when_taken()
    {
        var buffer = new UpdateBuffer(new UpdateBufferOptions(GroupSize: 3, MaxStaleness: 1));
        buffer.Add(Simple("a1", "A", 1, version: 1));
        buffer.Add(Simple("a2", "A", 1, version: 2));
        buffer.Add(Simple("a3", "A", 0, version: 3));
        var g = Assert.Single(buffer.TryTakeGroups(1, currentVersion: 3)!);
        Assert.Equal(new[] { "a2", "a3" }, g.Members.Select(m => m.TrajectoryId));
        Assert.Equal(1, buffer.Counters.DroppedStale);
    }

    [Fact]
    public void Demonstrations_invalid_and_unknown_splits_are_sorted_and_counted()
    {
        var buffer = new UpdateBuffer(new UpdateBufferOptions(GroupSize: 2));
        var demo = Simple("d1", "", 1);
        demo.Split = "sft";
        buffer.Add(demo);
        var eval = Simple("e1", "E", 1);
        eval.Split = "eval";
        buffer.Add(eval);
        var bad = Simple("x1", "X", 1);
        bad.Segments[1].Logprobs.Add(0.5f);
        buffer.Add(bad);

        Assert.Equal(1, buffer.DemonstrationCount);
        Assert.Equal(1, buffer.Counters.DroppedSplit);
        Assert.Equal(1, buffer.Counters.DroppedInvalid);
        Assert.Contains("x1", buffer.LastInvalid);
        Assert.Contains("segments[1].logprobs", buffer.LastInvalid);
        Assert.Single(buffer.TakeDemonstrations(10));
        Assert.Equal(0, buffer.DemonstrationCount);
    }

    [Fact]
    public void A_trajectory_delivered_twice_is_trained_on_once_and_counted()
    {
        var buffer = new UpdateBuffer(new UpdateBufferOptions(GroupSize: 2, GroupFilter: false));
        buffer.Add(Simple("a1", "A", 1));
        buffer.Add(Simple("a1", "A", 1)); // redelivered (a reclaimed queue entry)
        Assert.Null(buffer.TryTakeGroups(1, 0)); // the copy did not complete the group
        buffer.Add(Simple("a2", "A", 0));
        var group = Assert.Single(buffer.TryTakeGroups(1, 0)!);
        Assert.Equal(new[] { "a1", "a2" }, group.Members.Select(m => m.TrajectoryId));
        Assert.Equal(1, buffer.Counters.DroppedDuplicates);
        Assert.Equal(3, buffer.Counters.Ingested);
    }
}
