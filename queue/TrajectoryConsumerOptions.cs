namespace AgentOps.Queue;

/// <summary>Knobs of the trainer's read loop (<see cref="TrajectoryConsumer"/>), each with a default.</summary>
public sealed record TrajectoryConsumerOptions
{
    /// <summary>This consumer's name in the group; unique per trainer process.</summary>
    public string ConsumerName { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Entries read (and claimed) per call.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>How long one read waits for new entries before the loop looks at claims and stats again.</summary>
    public TimeSpan ReadWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Entries pending longer than this belong to a dead consumer and are claimed (XAUTOCLAIM min-idle).
    /// Must exceed the longest hand-off, or a live consumer's entries are taken over (and delivered twice).</summary>
    public TimeSpan ClaimIdle { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often to look for abandoned entries.</summary>
    public TimeSpan ClaimInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often to refresh the length/lag/pending gauges.</summary>
    public TimeSpan StatsInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Pause after <see cref="QueueUnavailableException"/> before trying again.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Name of the meter the consumer's instruments live on.</summary>
    public string MeterName { get; init; } = "AgentOps.Queue";

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
