using AgentOps.Protos.Queue;

namespace AgentOps.Protos.Tests.Queue;

public sealed class RedisTrajectoryQueueTests(RedisFixture redis) : TrajectoryQueueContract, IClassFixture<RedisFixture>
{
    protected override Task<ITrajectoryQueue> CreateAsync(int maxLength = 100_000) =>
        Task.FromResult<ITrajectoryQueue>(new RedisTrajectoryQueue(redis.Connection,
            new RedisQueueOptions { RunId = "run-" + Guid.NewGuid().ToString("N")[..12], MaxLength = maxLength }));

    [Fact]
    public async Task Stream_key_group_and_fields_are_the_documented_ones()
    {
        var run = "keys-" + Guid.NewGuid().ToString("N")[..8];
        await using var q = new RedisTrajectoryQueue(redis.Connection, new RedisQueueOptions { RunId = run });
        await q.AppendAsync(Trajectories.Make("k-1"));
        await q.ReadAsync("c1", 1, TimeSpan.Zero);
        var groups = await redis.Server.CommandAsync("XINFO", "GROUPS", $"agentops:{{{run}}}:trajectories");
        Assert.Contains("trainer", groups);
        var idKey = await redis.Server.CommandAsync("TTL", $"agentops:{{{run}}}:ids:k-1");
        Assert.InRange(long.Parse(idKey.Trim(':', '\r', '\n'), System.Globalization.CultureInfo.InvariantCulture), 86_000, 86_400);
        var entry = await redis.Server.CommandAsync("XRANGE", $"agentops:{{{run}}}:trajectories", "-", "+");
        Assert.Contains("$2\r\nid\r\n$3\r\nk-1\r\n$1\r\np\r\n", entry);
    }

    [Fact]
    public void Redis_url_is_turned_into_a_configuration()
    {
        Assert.Equal("redis.svc:6380,password=s3cr:t,defaultDatabase=2", RedisTrajectoryQueue.ToConfiguration("redis://:s3cr%3At@redis.svc:6380/2"));
        Assert.Equal("127.0.0.1:6379", RedisTrajectoryQueue.ToConfiguration("127.0.0.1:6379"));
    }
}
