namespace AgentOps.Queue;

/// <summary>Knobs of <see cref="RedisTrajectoryQueue"/>.</summary>
public sealed record RedisQueueOptions
{
    /// <summary>The run whose stream this is: keys <c>agentops:{RunId}:trajectories</c> and <c>agentops:{RunId}:ids:ID</c>
    /// (the braces are a Redis Cluster hash tag, so both keys of a run live in one slot).</summary>
    public required string RunId { get; init; }

    /// <summary>The consumer group (DESIGN.md: one group, "trainer").</summary>
    public string Group { get; init; } = "trainer";

    /// <summary><c>XADD ... MAXLEN ~ N</c>: approximate cap on the stream length.</summary>
    public int MaxLength { get; init; } = 100_000;

    /// <summary>How long a trajectory id is remembered for idempotency (<c>SET ... EX</c>).</summary>
    public TimeSpan IdempotencyTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>A command with no answer by then fails with <see cref="QueueUnavailableException"/>.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Pause between non-blocking <c>XREADGROUP</c> polls while a read waits (no BLOCK on the shared multiplexer).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Most trajectories one append (script or transaction) carries (<see cref="RedisTrajectoryQueue.AppendBatchAsync"/>
    /// splits bigger batches and sends the parts pipelined).</summary>
    public int MaxAppendBatch { get; init; } = 64;

    /// <summary>
    /// Trajectories of up to this many serialized bytes are appended by one Lua script per part; the others by MULTI /
    /// XADD / EXEC, which keeps the payload out of Lua (see <see cref="RedisStreamAppender"/>). 0 (the default): every one
    /// by transaction. On StackExchange.Redis 1.2.6 the script paid below ~8 KiB because that client sent a SELECT before
    /// each XADD. On 3.4.35 (no SELECT), two alternating pairs of the pipeline bench at 4 KiB (load 26-31, script vs
    /// transaction): redis-server CPU per trajectory 22 vs 14 and 25 vs 23 µs (lower by transaction both times), our CPU
    /// 34 vs 31 and 39 vs 64 µs (the second transaction run's trials spread 39-93), ratio 0.17 vs 0.25 and 0.24 vs 0.16:
    /// no steady gain left for the script, so one path by default. Larger trajectories were already cheaper by
    /// transaction (Lua hashes every byte of a string it is given).
    /// </summary>
    public int ScriptAppendMaxBytes { get; init; }

    /// <summary>Clock for read waits and poll pauses (idle times are Redis's own clock).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public string StreamKey => $"agentops:{{{RunId}}}:trajectories";

    /// <summary>Where corrupt entries go (fields entry, id, reason, p), capped like the stream by <see cref="MaxLength"/>.</summary>
    public string DeadStreamKey => $"agentops:{{{RunId}}}:dead";

    public string IdKey(string trajectoryId) => string.Concat("agentops:{", RunId, "}:ids:", trajectoryId);
}
