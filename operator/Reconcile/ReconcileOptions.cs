namespace AgentOps.Operator.Reconcile;

/// <summary>Operator-wide settings of the children it builds (Helm values reach these through flags).</summary>
public sealed record ReconcileOptions
{
    public string WorkerImage { get; init; } = "ghcr.io/agentops/workers:0.1.0";
    public string TrainerImage { get; init; } = "ghcr.io/agentops/trainer:0.1.0";
    public string RedisImage { get; init; } = "redis:7.0-alpine";
    public int GatewayPort { get; init; } = 50051;
    public int PolicyPort { get; init; } = 50052;
    public int MetricsPort { get; init; } = 9090;
    public int RedisPort { get; init; } = 6379;
    public string CheckpointStorage { get; init; } = "10Gi";
    public string RedisStorage { get; init; } = "5Gi";
    /// <summary>How often a Running run's trainer /status is polled (progress is not a watch event).</summary>
    public TimeSpan ProgressPollInterval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// How long a deleted run waits for its Redis stream to be deleted (the finalizer retries with backoff) before it goes
    /// anyway with a StreamNotDeleted warning event: an unreachable Redis must not keep a run Terminating forever.
    /// </summary>
    public TimeSpan StreamCleanupTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>One attempt at deleting the stream (connect + DEL).</summary>
    public TimeSpan StreamCleanupAttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Namespace of the cluster DNS pods that executors may reach (NetworkPolicy).</summary>
    public string DnsNamespace { get; init; } = "kube-system";
}
