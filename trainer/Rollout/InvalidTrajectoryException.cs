namespace AgentOps.Trainer.Rollout;

/// <summary>A trajectory that breaks the rules of trajectory.proto; the message names the field and the value.</summary>
public sealed class InvalidTrajectoryException(string trajectoryId, string message)
    : Exception($"trajectory {trajectoryId}: {message}")
{
    public string TrajectoryId { get; } = trajectoryId;
}
