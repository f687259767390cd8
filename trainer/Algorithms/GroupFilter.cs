using AgentOps.Trainer.Rollout;

namespace AgentOps.Trainer.Algorithms;

/// <summary>
/// DAPO dynamic sampling: a group whose rewards are all equal has zero group-normalised advantage everywhere
/// and teaches nothing, so it is dropped (and counted); the trainer keeps consuming until it has enough
/// informative groups.
/// </summary>
public static class GroupFilter
{
    /// <summary>Rewards closer than this are equal.</summary>
    public const double Tolerance = 1e-9;

    public static bool IsInformative(RolloutGroup group)
    {
        if (group.Members.Count < 2) return false;
        var first = group.Members[0].Reward;
        for (var i = 1; i < group.Members.Count; i++)
        {
            if (Math.Abs(group.Members[i].Reward - first) > Tolerance) return true;
        }
        return false;
    }
}
