using AgentOps.Queue;
using AgentOps.Testing.Redis;
using Google.Protobuf;
using StackExchange.Redis;

namespace AgentOps.Queue.Tests;

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
    public async Task A_batch_over_the_part_limit_goes_in_parts_and_keeps_its_order()
    {
        var run = "parts-" + Guid.NewGuid().ToString("N")[..8];
        // 3 per part (script or transaction), sent pipelined: Redis runs them in order.
        await using var byCount = new RedisTrajectoryQueue(redis.Connection, new RedisQueueOptions { RunId = run, MaxAppendBatch = 3 });
        var first = Enumerable.Range(0, 10).Select(i => Trajectories.Make($"p-{i:D2}", tokens: 200)).ToList();
        Assert.All(await byCount.AppendBatchAsync(first), o => Assert.Equal(AppendOutcome.Appended, o));
        var second = Enumerable.Range(5, 10).Select(i => Trajectories.Make($"p-{i:D2}", tokens: 200)).ToList();
        var outcomes = await byCount.AppendBatchAsync(second);
        Assert.Equal(Enumerable.Range(5, 10).Select(i => i < 10 ? AppendOutcome.Duplicate : AppendOutcome.Appended), outcomes);
        var read = await byCount.ReadAsync("c1", 100, TimeSpan.Zero);
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
    public async Task A_connection_it_opens_appends_a_whole_batch_and_the_batch_reads_back_intact()
    {
        var run = "wb-" + Guid.NewGuid().ToString("N")[..8];
        await using var q = await RedisTrajectoryQueue.ConnectAsync(redis.Server.ConnectionString, new RedisQueueOptions { RunId = run });
        Assert.Contains("abortConnect=False", q.Connection.Configuration, StringComparison.OrdinalIgnoreCase);
        // 64 trajectories of ~5 KiB, by script, read back in one XREADGROUP
        var batch = Enumerable.Range(0, 64).Select(i => Trajectories.Make($"wb-{i:D2}", tokens: 900)).ToList();
        Assert.All(await q.AppendBatchAsync(batch), o => Assert.Equal(AppendOutcome.Appended, o));
        var read = await q.ReadAsync("c1", 100, TimeSpan.Zero);
        Assert.Equal(batch, read.Select(e => e.Trajectory));
    }

    [Fact]
    public async Task Two_appends_of_one_id_that_both_found_it_new_store_it_once()
    {
        // A client retries on another gateway while the first append of the same trajectory is still on its way: both
        // check the id before either stores it. Redis is stopped (SIGSTOP) while both checks are sent, so both run
        // before either transaction; the later transaction then removes its own entry.
        await using var server = await RedisServer.StartAsync(appendOnly: false);
        using var muxA = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        using var muxB = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var options = new RedisQueueOptions { RunId = "race-" + Guid.NewGuid().ToString("N")[..8], CommandTimeout = TimeSpan.FromSeconds(30), ScriptAppendMaxBytes = 0 };
        await using var a = new RedisTrajectoryQueue(muxA, options);
        await using var b = new RedisTrajectoryQueue(muxB, options);
        await a.AppendAsync(Trajectories.Make("before"));
        var batch = new[] { Trajectories.Make("r-1"), Trajectories.Make("r-2", tokens: 300), Trajectories.Make("r-3") };

        server.Pause();
        Task<IReadOnlyList<AppendOutcome>> fromA, fromB;
        try
        {
            fromA = a.AppendBatchAsync(batch);
            fromB = b.AppendBatchAsync([batch[1], Trajectories.Make("r-4"), batch[2]]);
            await Task.Delay(300); // both checks written to their sockets
        }
        finally
        {
            server.Resume();
        }
        var outcomesA = await fromA.WaitAsync(TimeSpan.FromSeconds(30));
        var outcomesB = await fromB.WaitAsync(TimeSpan.FromSeconds(30));

        // Each shared id is Appended by exactly one of the two; r-1 and r-4 only by their own.
        Assert.Equal(AppendOutcome.Appended, outcomesA[0]);
        Assert.Equal(AppendOutcome.Appended, outcomesB[1]);
        Assert.NotEqual(outcomesA[1], outcomesB[0]);
        Assert.NotEqual(outcomesA[2], outcomesB[2]);
        var stream = options.StreamKey;
        Assert.Equal(":5\r\n", await server.CommandAsync("XLEN", stream));
        // The race did happen: the later transaction's last entry was added and then deleted, so the stream's last
        // generated id is past its newest entry (and the deleted ones left no max-deleted-entry-id behind).
        var info = await server.CommandAsync("XINFO", "STREAM", stream);
        var newest = System.Text.RegularExpressions.Regex.Match(await server.CommandAsync("XREVRANGE", stream, "+", "-", "COUNT", "1"), @"\d+-\d+").Value;
        var lastGenerated = System.Text.RegularExpressions.Regex.Match(info, @"last-generated-id\r\n\$\d+\r\n(\d+-\d+)").Groups[1].Value;
        Assert.NotEqual(newest, lastGenerated);
        Assert.Contains("max-deleted-entry-id\r\n$3\r\n0-1\r\n", info);
        var read = await a.ReadAsync("c1", 100, TimeSpan.Zero);
        Assert.Equal(["before", "r-1", "r-2", "r-3", "r-4"], read.Select(e => e.Trajectory.TrajectoryId).Order());
        Assert.Equal(batch[1], read.Single(e => e.Trajectory.TrajectoryId == "r-2").Trajectory);
        await a.AcknowledgeAsync(read);
        // The removed entries leave no backlog behind once the reader passed them.
        Assert.Equal(new QueueStats(5, 0, 0), await a.GetStatsAsync());
        // And a later retry of any of them is a duplicate.
        Assert.All(await b.AppendBatchAsync(batch), o => Assert.Equal(AppendOutcome.Duplicate, o));
    }

    [Fact]
    public async Task A_batch_of_small_and_large_trajectories_keeps_its_order_and_each_id_once()
    {
        // Over 2 KiB goes by transaction, the rest by script: parts alternate and still run in the batch's order.
        await using var q = new RedisTrajectoryQueue(redis.Connection, new RedisQueueOptions { RunId = "mix-" + Guid.NewGuid().ToString("N")[..8], ScriptAppendMaxBytes = 2048 });
        var batch = Enumerable.Range(0, 12).Select(i => Trajectories.Make($"m-{i:D2}", tokens: i % 3 == 0 ? 900 : 20)).ToList();
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i % 3 == 0), batch.Select(t => t.CalculateSize() > 2048));
        Assert.All(await q.AppendBatchAsync(batch), o => Assert.Equal(AppendOutcome.Appended, o));
        // A retry of the whole batch with a new one in the middle and a repeat: only the new one is stored.
        var retry = batch.Take(6).Append(Trajectories.Make("m-new", tokens: 900)).Append(batch[0]).Concat(batch.Skip(6)).ToList();
        var outcomes = await q.AppendBatchAsync(retry);
        Assert.Equal(retry.Select(t => t.TrajectoryId == "m-new" && t != batch[0] ? AppendOutcome.Appended : AppendOutcome.Duplicate), outcomes);
        var read = await q.ReadAsync("c1", 100, TimeSpan.Zero);
        Assert.Equal([.. batch, retry[6]], read.Select(e => e.Trajectory));
    }

    [Fact]
    public void Redis_url_is_turned_into_a_configuration()
    {
        Assert.Equal("redis.svc:6380,password=s3cr:t,defaultDatabase=2", RedisTrajectoryQueue.ToConfiguration("redis://:s3cr%3At@redis.svc:6380/2"));
        Assert.Equal("127.0.0.1:6379", RedisTrajectoryQueue.ToConfiguration("127.0.0.1:6379"));
    }
}
