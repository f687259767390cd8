namespace AgentOps.Trainer.Rollout;

/// <summary>
/// The staleness bound of asynchronous RL (SkyRL `max_staleness_steps`, AReaL's η): a trajectory whose oldest
/// generated token came from a policy more than maxStaleness versions behind the current one is dropped.
/// </summary>
public static class StalenessFilter
{
    public static bool IsStale(PackedTrajectory trajectory, long currentVersion, int maxStaleness) =>
        trajectory.OldestPolicyVersion >= 0 && currentVersion - trajectory.OldestPolicyVersion > maxStaleness;

    /// <summary>Returns the group without its stale members, and how many were removed.</summary>
    public static (RolloutGroup Group, int Dropped) Apply(RolloutGroup group, long currentVersion, int maxStaleness)
    {
        var kept = group.Members.Where(m => !IsStale(m, currentVersion, maxStaleness)).ToList();
        return (group with { Members = kept }, group.Members.Count - kept.Count);
    }
}
