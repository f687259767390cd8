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
    /// Trajectories of up to this many serialized bytes are appended by one Lua script per part; bigger ones by
    /// MULTI / XADD / EXEC, which keeps the payload out of Lua (see <see cref="RedisStreamAppender"/>). Measured with
    /// `AGENTOPS_BENCH_SIZES=N make bench BENCH=pipeline` and the path forced each way, 2 alternating pairs per size
    /// (load 2.5-3.5), CPU per trajectory of this process + redis-server, script vs transaction: 4 KiB 37 + 21-22 vs
    /// 44 + 17-20 us (the transaction costs the client a message per XADD, each after a SELECT the client inserts);
    /// 8 KiB 61-73 + 37-46 vs 70-81 + 25-31 us, about even; 16 KiB 121-126 + 89-139 vs 121-126 + 54-60 us (Lua hashes
    /// every byte of a string it is given); at 64 KiB redis-server 454-568 vs 359-380 us.
    /// </summary>
    public int ScriptAppendMaxBytes { get; init; } = 8 * 1024;

    /// <summary>Clock for read waits and poll pauses (idle times are Redis's own clock).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public string StreamKey => $"agentops:{{{RunId}}}:trajectories";

    /// <summary>Where corrupt entries go (fields entry, id, reason, p), capped like the stream by <see cref="MaxLength"/>.</summary>
    public string DeadStreamKey => $"agentops:{{{RunId}}}:dead";

    public string IdKey(string trajectoryId) => string.Concat("agentops:{", RunId, "}:ids:", trajectoryId);
}
