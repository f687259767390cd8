namespace AgentOps.Trainer.Rollout;

/// <summary>
/// The episodes sampled from one prompt (one GRPO group), after infrastructure failures were taken out.
/// </summary>
/// <param name="Members">Usable trajectories: agent outcomes only, each with a real reward.</param>
/// <param name="InfraFailures">Arrivals whose outcome was an infrastructure failure (no reward; never trained on).</param>
public sealed record RolloutGroup(string GroupId, IReadOnlyList<PackedTrajectory> Members, int InfraFailures)
{
    public double[] Rewards() => Members.Select(m => m.Reward).ToArray();
}
