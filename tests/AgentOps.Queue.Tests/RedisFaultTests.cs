using AgentOps.Queue;
using AgentOps.Testing.Redis;
using StackExchange.Redis;

namespace AgentOps.Queue.Tests;

/// <summary>Faults against a real redis-server: crashes (SIGKILL), restarts with and without AOF, dead consumers.</summary>
public sealed class RedisFaultTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static RedisQueueOptions Options() => new()
    {
        RunId = "fault-" + Guid.NewGuid().ToString("N")[..8],
        CommandTimeout = TimeSpan.FromSeconds(5),
    };

    /// <param name="scriptAppendMaxBytes">8 KiB: the ~2 KiB trajectories go by script; 0 (the default): by MULTI / XADD / EXEC.</param>
    [Theory]
    [InlineData(8 * 1024)]
    [InlineData(0)]
    public async Task Crash_and_restart_with_aof_loses_no_acknowledged_append(int scriptAppendMaxBytes)
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: true);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var options = Options() with { ScriptAppendMaxBytes = scriptAppendMaxBytes };
        await using var q = new RedisTrajectoryQueue(mux, options);

        var acked = new List<string>();
        string? failed = null;
        var crashed = new TaskCompletionSource();
        var appender = Task.Run(async () =>
        {
            for (var i = 0; ; i++)
            {
                var id = $"a-{i:D5}";
                try
                {
                    await q.AppendAsync(Trajectories.Make(id, tokens: 512));
                    lock (acked) acked.Add(id);
                    if (acked.Count == 150) crashed.TrySetResult();
                }
                catch (QueueUnavailableException)
                {
                    failed = id; // unknown outcome: it may or may not be stored
                    return;
                }
            }
        });
        await crashed.Task.WaitAsync(Timeout);
        redis.Kill(); // SIGKILL while appends are in flight
        await appender.WaitAsync(Timeout);
        Assert.NotNull(failed);

        await redis.RestartAsync();
        var stored = new List<string>();
        await Eventually(async () =>
        {
            while (true)
            {
                var batch = await q.ReadAsync("after-restart", 100, TimeSpan.Zero);
                if (batch.Count == 0) return true;
                stored.AddRange(batch.Select(e => e.Trajectory.TrajectoryId));
            }
        }, "read back after restart");

        Assert.Equal(stored.Count, stored.Distinct().Count());
        Assert.Empty(acked.Except(stored)); // every acknowledged append survived the crash
        Assert.Empty(stored.Except([.. acked, failed!]));
        Assert.True(acked.Count >= 150, $"appended {acked.Count} before the crash");
    }

    [Fact]
    public async Task Redis_down_fails_appends_clearly_and_they_work_again_when_it_is_back()
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: false);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await using var q = new RedisTrajectoryQueue(mux, Options());
        Assert.Equal(AppendOutcome.Appended, await q.AppendAsync(Trajectories.Make("before")));
        Assert.Single(await q.ReadAsync("c1", 10, TimeSpan.Zero)); // creates the group

        redis.Kill();
        var e = await Assert.ThrowsAsync<QueueUnavailableException>(() => q.AppendAsync(Trajectories.Make("while-down")).WaitAsync(Timeout));
        Assert.Contains(redis.Endpoint, e.Message);
        Assert.Contains("while-down", e.Message);
        await Assert.ThrowsAsync<QueueUnavailableException>(() => q.GetStatsAsync().WaitAsync(Timeout));

        // Without persistence the restarted server is empty: the multiplexer reconnects and the queue recreates its group (NOGROUP).
        await redis.RestartAsync();
        await Eventually(async () => await q.AppendAsync(Trajectories.Make("after")) == AppendOutcome.Appended, "append after restart");
        var read = await q.ReadAsync("c1", 10, TimeSpan.FromSeconds(5));
        Assert.Equal("after", Assert.Single(read).Trajectory.TrajectoryId);
    }

    [Theory]
    [InlineData(8 * 1024)]
    [InlineData(0)]
    public async Task A_frozen_redis_times_out_appends_and_the_retry_of_the_same_id_is_stored_once(int scriptAppendMaxBytes)
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: false);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await using var q = new RedisTrajectoryQueue(mux, Options() with { CommandTimeout = TimeSpan.FromSeconds(1), ScriptAppendMaxBytes = scriptAppendMaxBytes });
        await q.AppendAsync(Trajectories.Make("warm"));

        redis.Pause(); // SIGSTOP: the socket stays open, nothing answers
        try
        {
            var e = await Assert.ThrowsAsync<QueueUnavailableException>(() => q.AppendAsync(Trajectories.Make("frozen")).WaitAsync(Timeout));
            Assert.Contains("no answer within 1 s", e.Message);
            Assert.Contains("frozen", e.Message);
        }
        finally
        {
            redis.Resume();
        }

        // The timed-out append may still have been applied once Redis woke up: the client's retry with the same id
        // must not store it twice.
        await Eventually(async () => await q.AppendAsync(Trajectories.Make("frozen")) is AppendOutcome.Appended or AppendOutcome.Duplicate, "retry after resume");
        var all = await q.ReadAsync("c1", 100, TimeSpan.Zero);
        Assert.Equal(["warm", "frozen"], all.Select(x => x.Trajectory.TrajectoryId));
    }

    [Fact]
    public async Task A_consumer_stopped_without_acking_leaves_its_entries_to_another()
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: true);
        var options = Options();
        using var muxA = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        using var muxB = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await using var qa = new RedisTrajectoryQueue(muxA, options);
        await using var qb = new RedisTrajectoryQueue(muxB, options);
        var ids = Enumerable.Range(0, 20).Select(i => $"k-{i:D2}").ToList();
        foreach (var id in ids) await qa.AppendAsync(Trajectories.Make(id));

        var consumerOptions = new TrajectoryConsumerOptions
        {
            BatchSize = 8,
            ReadWait = TimeSpan.FromMilliseconds(50),
            ClaimIdle = TimeSpan.FromMilliseconds(500),
            ClaimInterval = TimeSpan.FromMilliseconds(100),
            StatsInterval = TimeSpan.FromMilliseconds(100),
        };
        // Consumer A takes a batch and hangs in the hand-off (a trainer that died), then is stopped: nothing acked.
        var inHandoff = new TaskCompletionSource<IReadOnlyList<QueueEntry>>();
        await using (var a = new TrajectoryConsumer(qa, async (batch, ct) => { inHandoff.TrySetResult(batch); await Task.Delay(System.Threading.Timeout.Infinite, ct); },
            consumerOptions with { ConsumerName = "trainer-a", ClaimIdle = TimeSpan.FromHours(1) }))
        {
            using var stopA = new CancellationTokenSource();
            var runA = a.RunAsync(stopA.Token);
            var taken = await inHandoff.Task.WaitAsync(Timeout);
            Assert.Equal(8, taken.Count);
            await stopA.CancelAsync();
            await runA.WaitAsync(Timeout);
            Assert.Equal(0, a.Delivered);
        }
        Assert.Equal(8, (await qb.GetStatsAsync()).Pending);

        var got = new List<QueueEntry>();
        await using var b = new TrajectoryConsumer(qb, (batch, _) => { lock (got) got.AddRange(batch); return ValueTask.CompletedTask; }, consumerOptions with { ConsumerName = "trainer-b" });
        using var stopB = new CancellationTokenSource();
        var runB = b.RunAsync(stopB.Token);
        await Eventually(() => Task.FromResult(b.Delivered == 20), "consumer B delivered all 20");
        await stopB.CancelAsync();
        await runB.WaitAsync(Timeout);

        Assert.Equal(ids, got.Select(e => e.Trajectory.TrajectoryId).Order());
        Assert.Equal(8, b.Reclaimed);
        Assert.Equal(8, got.Count(e => e.DeliveryCount == 2));
        Assert.Equal(new QueueStats(20, 0, 0), await qb.GetStatsAsync());
    }

    [Fact]
    public async Task The_consumer_rides_out_a_redis_restart_and_delivers_everything()
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: true);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await using var q = new RedisTrajectoryQueue(mux, Options());
        var got = new HashSet<string>();
        await using var consumer = new TrajectoryConsumer(q, (batch, _) => { lock (got) foreach (var e in batch) got.Add(e.Trajectory.TrajectoryId); return ValueTask.CompletedTask; },
            new TrajectoryConsumerOptions { ConsumerName = "trainer", BatchSize = 16, ReadWait = TimeSpan.FromMilliseconds(50), RetryDelay = TimeSpan.FromMilliseconds(200), ClaimIdle = TimeSpan.FromSeconds(1), ClaimInterval = TimeSpan.FromMilliseconds(200) });
        using var stop = new CancellationTokenSource();
        var run = consumer.RunAsync(stop.Token);
        for (var i = 0; i < 30; i++) await q.AppendAsync(Trajectories.Make($"r-{i:D2}"));
        await Eventually(() => Task.FromResult(consumer.Delivered >= 30), "30 delivered before the restart");

        await redis.RestartAsync();
        for (var i = 30; i < 60; i++)
        {
            var id = $"r-{i:D2}";
            await Eventually(async () => await q.AppendAsync(Trajectories.Make(id)) is AppendOutcome.Appended or AppendOutcome.Duplicate, $"append {id}");
        }
        await Eventually(() => Task.FromResult(got.Count == 60), "all 60 distinct trajectories delivered");
        await stop.CancelAsync();
        await run.WaitAsync(Timeout);
        Assert.False(run.IsFaulted);
    }

    /// <summary>Retries <paramref name="attempt"/> (queue unavailable counts as "not yet") until it returns true.</summary>
    private static async Task Eventually(Func<Task<bool>> attempt, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await attempt()) return;
            }
            catch (QueueUnavailableException e)
            {
                last = e;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"not reached within {Timeout.TotalSeconds} s: {what}; last error: {last?.Message}");
    }
}
