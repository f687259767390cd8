using AgentOps.Protos.Queue;
using Google.Protobuf;

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
    public async Task A_batch_over_the_script_limits_goes_in_parts_and_keeps_its_order()
    {
        var run = "parts-" + Guid.NewGuid().ToString("N")[..8];
        // 3 per script by count; then 2 KiB of payload per script by bytes (each trajectory is over 1 KiB: one per script).
        await using var byCount = new RedisTrajectoryQueue(redis.Connection, new RedisQueueOptions { RunId = run, MaxAppendBatch = 3 });
        var first = Enumerable.Range(0, 10).Select(i => Trajectories.Make($"p-{i:D2}", tokens: 200)).ToList();
        Assert.All(await byCount.AppendBatchAsync(first), o => Assert.Equal(AppendOutcome.Appended, o));
        await using var byBytes = new RedisTrajectoryQueue(redis.Connection, new RedisQueueOptions { RunId = run, MaxAppendBatchBytes = 2048 });
        var second = Enumerable.Range(5, 10).Select(i => Trajectories.Make($"p-{i:D2}", tokens: 200)).ToList();
        Assert.InRange(second[0].CalculateSize(), 1025, 2048);
        var outcomes = await byBytes.AppendBatchAsync(second);
        Assert.Equal(Enumerable.Range(5, 10).Select(i => i < 10 ? AppendOutcome.Duplicate : AppendOutcome.Appended), outcomes);
        // Replies of ~3 KiB (two entries each): the read sends its XREADGROUP calls pipelined and keeps stream order.
        await using var smallReplies = new RedisTrajectoryQueue(redis.Connection, new RedisQueueOptions { RunId = run, MaxReplyBytes = 3000 });
        var read = await smallReplies.ReadAsync("c1", 100, TimeSpan.Zero);
        Assert.Equal(Enumerable.Range(0, 15).Select(i => $"p-{i:D2}"), read.Select(e => e.Trajectory.TrajectoryId));
    }

    [Fact]
    public async Task Serialized_append_stores_the_bytes_as_they_arrived_not_a_new_serialization()
    {
        await using var q = await CreateAsync();
        // The sender's encoding carries field 1000 = 7, which the message handed over beside it lacks: what the stream
        // holds is the sender's bytes, so a reader gets the field back (protobuf keeps unknown fields through a parse).
        var message = Trajectories.Make("raw-1");
        byte[] sent = [.. message.ToByteArray(), 0xC0, 0x3E, 0x07];
        Assert.Equal([AppendOutcome.Appended], await q.AppendSerializedAsync([new SerializedTrajectory(message.TrajectoryId, sent)]));
        var read = Assert.Single(await q.ReadAsync("c1", 10, TimeSpan.Zero));
        Assert.Equal(sent, read.Trajectory.ToByteArray());
        Assert.NotEqual(message, read.Trajectory);
    }

    [Fact]
    public async Task A_connection_it_opens_buffers_a_whole_batch_of_writes_and_the_batch_reads_back_intact()
    {
        var run = "wb-" + Guid.NewGuid().ToString("N")[..8];
        await using var q = await RedisTrajectoryQueue.ConnectAsync(redis.Server.ConnectionString, new RedisQueueOptions { RunId = run });
        Assert.Contains("writeBuffer=262144", q.Connection.Configuration);
        // 64 trajectories of ~5 KiB: each script's payloads are copied into the buffer and leave in one write
        var batch = Enumerable.Range(0, 64).Select(i => Trajectories.Make($"wb-{i:D2}", tokens: 900)).ToList();
        Assert.All(await q.AppendBatchAsync(batch), o => Assert.Equal(AppendOutcome.Appended, o));
        var read = await q.ReadAsync("c1", 100, TimeSpan.Zero);
        Assert.Equal(batch, read.Select(e => e.Trajectory));

        // a configuration that names its own buffer keeps it
        await using var own = await RedisTrajectoryQueue.ConnectAsync(redis.Server.ConnectionString + ",writeBuffer=8192", new RedisQueueOptions { RunId = run });
        Assert.Contains("writeBuffer=8192", own.Connection.Configuration);
    }

    [Fact]
    public void Redis_url_is_turned_into_a_configuration()
    {
        Assert.Equal("redis.svc:6380,password=s3cr:t,defaultDatabase=2", RedisTrajectoryQueue.ToConfiguration("redis://:s3cr%3At@redis.svc:6380/2"));
        Assert.Equal("127.0.0.1:6379", RedisTrajectoryQueue.ToConfiguration("127.0.0.1:6379"));
    }
}
