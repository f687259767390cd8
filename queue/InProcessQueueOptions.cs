namespace AgentOps.Queue;

/// <summary>Knobs of <see cref="InProcessTrajectoryQueue"/>; the same meaning as for the Redis queue.</summary>
public sealed record InProcessQueueOptions
{
    /// <summary>Entries kept; the oldest go first once over (Redis: <c>MAXLEN</c>, here exact).</summary>
    public int MaxLength { get; init; } = 100_000;

    /// <summary>How long a trajectory id is remembered for idempotency.</summary>
    public TimeSpan IdempotencyTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Clock for idle times and waits.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
