using AgentOps.Queue;

namespace AgentOps.Queue.Tests;

/// <summary>The contract suite again with every trajectory appended by the Lua script (the default is MULTI / XADD / EXEC).</summary>
public sealed class RedisScriptAppendQueueTests(RedisFixture redis) : TrajectoryQueueContract, IClassFixture<RedisFixture>
{
    protected override Task<ITrajectoryQueue> CreateAsync(int maxLength = 100_000) =>
        Task.FromResult<ITrajectoryQueue>(new RedisTrajectoryQueue(redis.Connection,
            new RedisQueueOptions { RunId = "tx-" + Guid.NewGuid().ToString("N")[..12], MaxLength = maxLength, ScriptAppendMaxBytes = int.MaxValue }));
}
