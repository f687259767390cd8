namespace AgentOps.Protos.V1;

public static class OutcomeStatusExtensions
{
    /// <summary>
    /// True for failures of the platform rather than of the agent (values >= 100 in trajectory.proto).
    /// Such trajectories carry no reward and must stay out of baselines and of the loss.
    /// </summary>
    public static bool IsInfrastructureFailure(this OutcomeStatus status) => (int)status >= 100;
}
