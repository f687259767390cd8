namespace AgentOps.Protos.V1;

/// <summary>Metadata of TrajectoryIngest that is not in trajectory.proto: the gateway sets it, the executor's pusher reads it.</summary>
public static class IngestTrailers
{
    /// <summary>With RESOURCE_EXHAUSTED for backpressure: milliseconds to wait before retrying (absent when the message was too large).</summary>
    public const string RetryAfterMs = "retry-after-ms";
}
