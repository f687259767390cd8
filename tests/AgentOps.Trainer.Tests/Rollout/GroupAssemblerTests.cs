using AgentOps.Protos.V1;
using AgentOps.Trainer.Rollout;
using static AgentOps.Trainer.Tests.Rollout.TestTrajectories;

namespace AgentOps.Trainer.Tests.Rollout;

public class GroupAssemblerTests
{
    private static PackedTrajectory P(string id, string group, double reward, long version = 0) =>
        TrajectoryPacker.Pack(Simple(id, group, reward, version), 512);

    [Fact]
    public void A_group_is_emitted_when_all_its_members_arrived_interleaved_with_others()
    {
        var a = new GroupAssembler(3);
        Assert.Null(a.Add(P("a1", "A", 1), false));
        Assert.Null(a.Add(P("b1", "B", 0), false));
        Assert.Null(a.Add(P("a2", "A", 0), false));
        var g = a.Add(P("a3", "A", 1), false);
        Assert.NotNull(g);
        Assert.Equal("A", g.GroupId);
        Assert.Equal(new[] { "a1", "a2", "a3" }, g.Members.Select(m => m.TrajectoryId));
        Assert.Equal(1, a.PendingTrajectories);
    }

    [Fact]
    public void Infrastructure_failures_complete_the_group_but_are_left_out_of_it()
    {
        var a = new GroupAssembler(3);
        a.Add(P("a1", "A", 1), false);
        a.Add(TrajectoryPacker.Pack(Simple("a2", "A", 0, status: OutcomeStatus.InfraSandboxCrashed), 512), true);
        var g = a.Add(P("a3", "A", 0), false)!;
        Assert.Equal(2, g.Members.Count);
        Assert.Equal(1, g.InfraFailures);
        Assert.Equal(new[] { 1.0, 0.0 }, g.Rewards());
    }

    [Fact]
    public void Partial_groups_that_went_stale_are_evicted_and_counted()
    {
        var a = new GroupAssembler(4);
        a.Add(P("a1", "A", 1, version: 1), false);
        a.Add(P("a2", "A", 1, version: 1), false);
        a.Add(P("b1", "B", 1, version: 3), false);
        Assert.Equal(0, a.EvictStale(currentVersion: 2, maxStaleness: 1));
        Assert.Equal(2, a.EvictStale(currentVersion: 3, maxStaleness: 1));
        Assert.Equal(1, a.PendingTrajectories);
    }

    [Fact]
    public void Staleness_filter_drops_members_more_than_max_staleness_behind()
    {
        var g = new RolloutGroup("A", [P("a1", "A", 1, 5), P("a2", "A", 0, 4), P("a3", "A", 1, 3)], 0);
        var (kept, dropped) = StalenessFilter.Apply(g, currentVersion: 5, maxStaleness: 1);
        Assert.Equal(1, dropped);
        Assert.Equal(new[] { "a1", "a2" }, kept.Members.Select(m => m.TrajectoryId));
    }
}
