namespace AgentOps.Workers.Pipeline;

/// <summary>Knobs of <see cref="TrajectoryPusher"/>; every one named, with a default.</summary>
public sealed record PusherOptions
{
    /// <summary>Trajectories waiting to be pushed; <see cref="TrajectoryPusher.EnqueueAsync"/> waits when it is full.</summary>
    public int BufferCapacity { get; init; } = 256;

    /// <summary>Trajectories sent on one client stream (one Push call, one ack).</summary>
    public int MaxBatch { get; init; } = 64;

    /// <summary>Serialized bytes of trajectories one TrajectoryBatch message carries (at least one trajectory). Keep it
    /// under the gateway's receive limit (twice its --max-trajectory-bytes, 8 MiB by default).</summary>
    public int MaxMessageBytes { get; init; } = 256 * 1024;

    /// <summary>The run's bearer token, sent as "authorization: Bearer TOKEN".</summary>
    public string? BearerToken { get; init; }

    /// <summary>Deadline of one Push call.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Backoff before retry n is min(Max, Initial * Multiplier^(n-1)), scaled by a random factor in [1-Jitter, 1+Jitter].</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);
    public double BackoffMultiplier { get; init; } = 2.0;
    public double Jitter { get; init; } = 0.2;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Seed of the jitter (seeded so a test run is repeatable).</summary>
    public int Seed { get; init; } = 1;
}
