using AgentOps.Queue;

namespace AgentOps.Queue.Tests;

/// <summary>The contract suite again with every trajectory appended by MULTI / XADD / EXEC (the way large ones go).</summary>
public sealed class RedisTransactionAppendQueueTests(RedisFixture redis) : TrajectoryQueueContract, IClassFixture<RedisFixture>
{
    protected override Task<ITrajectoryQueue> CreateAsync(int maxLength = 100_000) =>
        Task.FromResult<ITrajectoryQueue>(new RedisTrajectoryQueue(redis.Connection,
            new RedisQueueOptions { RunId = "tx-" + Guid.NewGuid().ToString("N")[..12], MaxLength = maxLength, ScriptAppendMaxBytes = 0 }));
}
