namespace AgentOps.Queue.Ingest;

/// <summary>Knobs of <see cref="TrajectoryIngestService"/>; every one named, with a default.</summary>
public sealed record IngestOptions
{
    /// <summary>The run this service ingests for; a trajectory with another run_id is refused.</summary>
    public required string RunId { get; init; }

    /// <summary>The run's bearer token ("authorization: Bearer TOKEN"); null turns the check off (in-process use only).</summary>
    public string? BearerToken { get; init; }

    /// <summary>Environment names a trajectory may carry; null accepts any non-empty name.</summary>
    public IReadOnlySet<string>? KnownEnvironments { get; init; }

    /// <summary>A serialized trajectory larger than this is INVALID_ARGUMENT (keep it under the transport's
    /// <c>MaxReceiveMessageSize</c>, which refuses bigger frames with RESOURCE_EXHAUSTED before reading them).</summary>
    public int MaxTrajectoryBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Backpressure: while the queue's unconsumed backlog (<c>QueueStats.Lag</c>) is over this, pushes
    /// are answered RESOURCE_EXHAUSTED with a retry hint. 0 or less turns the check off.</summary>
    public long MaxBacklog { get; init; } = 10_000;

    /// <summary>How long a backlog reading is reused (one XINFO per interval, not per trajectory).</summary>
    public TimeSpan BacklogCheckInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Sent in the <c>retry-after-ms</c> trailer with RESOURCE_EXHAUSTED.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Batched appends in flight at once within one stream (all are awaited before the ack).</summary>
    public int MaxAppendsInFlight { get; init; } = 4;

    /// <summary>Most trajectories of one stream stored by one queue append (one Redis script).</summary>
    public int MaxAppendBatch { get; init; } = 64;

    /// <summary>A batch is stored once it holds this many serialized bytes, even if not full.</summary>
    public long MaxAppendBatchBytes { get; init; } = 1024 * 1024;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
