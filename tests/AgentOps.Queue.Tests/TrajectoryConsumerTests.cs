using System.Threading.Channels;
using AgentOps.Telemetry;
using AgentOps.Queue;
using AgentOps.Protos.V1;

namespace AgentOps.Queue.Tests;

public sealed class TrajectoryConsumerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static TrajectoryConsumerOptions Fast(string name, string meter = "AgentOps.Queue") => new()
    {
        ConsumerName = name,
        BatchSize = 4,
        ReadWait = TimeSpan.FromMilliseconds(50),
        ClaimIdle = TimeSpan.FromMilliseconds(300),
        ClaimInterval = TimeSpan.FromMilliseconds(50),
        StatsInterval = TimeSpan.FromMilliseconds(50),
        MeterName = meter,
    };

    [Fact]
    public async Task Hands_every_trajectory_to_the_channel_in_order_and_acks_only_after_the_handoff()
    {
        await using var q = new InProcessTrajectoryQueue();
        for (var i = 0; i < 10; i++) await q.AppendAsync(Trajectories.Make($"c-{i}"));
        var channel = Channel.CreateBounded<Trajectory>(1); // the trainer's buffer holds one: the hand-off blocks
        await using var consumer = new TrajectoryConsumer(q, channel.Writer, Fast("trainer-0") with { ClaimIdle = TimeSpan.FromHours(1) });
        using var cts = new CancellationTokenSource();
        var run = consumer.RunAsync(cts.Token);

        // While the trainer has not taken the batch, it stays pending (not acknowledged).
        await WaitUntil(async () => (await q.GetStatsAsync()).Pending == 4, "first batch of 4 pending during the hand-off");
        Assert.Equal(0, consumer.Delivered);

        var got = new List<string>();
        while (got.Count < 10) got.Add((await channel.Reader.ReadAsync().AsTask().WaitAsync(Timeout)).TrajectoryId);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"c-{i}"), got);
        await WaitUntil(async () => (await q.GetStatsAsync()).Pending == 0 && consumer.Delivered == 10, "all acknowledged");
        await cts.CancelAsync();
        await run.WaitAsync(Timeout);
        Assert.Equal(new QueueStats(10, 0, 0), await q.GetStatsAsync());
    }

    [Fact]
    public async Task Reclaims_what_a_dead_consumer_left_pending()
    {
        await using var q = new InProcessTrajectoryQueue();
        for (var i = 0; i < 6; i++) await q.AppendAsync(Trajectories.Make($"d-{i}"));
        var dead = await q.ReadAsync("dead-trainer", 6, TimeSpan.Zero); // read, never acked
        Assert.Equal(6, dead.Count);

        var received = new List<QueueEntry>();
        await using var consumer = new TrajectoryConsumer(q, (batch, _) => { lock (received) received.AddRange(batch); return ValueTask.CompletedTask; }, Fast("trainer-1"));
        using var cts = new CancellationTokenSource();
        var run = consumer.RunAsync(cts.Token);
        await WaitUntil(() => Task.FromResult(consumer.Delivered == 6), "6 reclaimed entries delivered");
        await cts.CancelAsync();
        await run.WaitAsync(Timeout);
        Assert.Equal(6, consumer.Reclaimed);
        Assert.Equal(dead.Select(e => e.EntryId).Order(), received.Select(e => e.EntryId).Order());
        Assert.All(received, e => Assert.Equal(2, e.DeliveryCount));
        Assert.Equal(0, (await q.GetStatsAsync()).Pending);
    }

    [Fact]
    public async Task A_throwing_handoff_ends_the_loop_and_leaves_the_batch_pending()
    {
        await using var q = new InProcessTrajectoryQueue();
        for (var i = 0; i < 3; i++) await q.AppendAsync(Trajectories.Make($"x-{i}"));
        await using var consumer = new TrajectoryConsumer(q, (_, _) => throw new InvalidOperationException("replay buffer closed"), Fast("trainer-2") with { ClaimIdle = TimeSpan.FromHours(1) });
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => consumer.RunAsync(CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal("replay buffer closed", e.Message);
        Assert.Equal(new QueueStats(3, 3, 0), await q.GetStatsAsync());
        Assert.Equal(0, consumer.Delivered);
    }

    [Fact]
    public async Task Exports_length_lag_pending_gauges_and_delivered_reclaimed_counters()
    {
        var meterName = $"AgentOps.Test.Consumer.{Guid.NewGuid():N}";
        using var collector = new MetricsCollector(m => m.Name == meterName);
        await using var q = new InProcessTrajectoryQueue();
        for (var i = 0; i < 7; i++) await q.AppendAsync(Trajectories.Make($"m-{i}"));
        await q.ReadAsync("dead", 2, TimeSpan.Zero);
        var gate = new SemaphoreSlim(0);
        await using var consumer = new TrajectoryConsumer(q, async (_, ct) => await gate.WaitAsync(ct), Fast("trainer-3", meterName) with { BatchSize = 10, ClaimIdle = TimeSpan.FromHours(1) });
        using var cts = new CancellationTokenSource();
        var run = consumer.RunAsync(cts.Token);
        // The consumer holds the 5 undelivered entries in its hand-off; stats were read before that read.
        await WaitUntil(async () => (await q.GetStatsAsync()).Pending == 7 && consumer.LastStats is not null, "read of 5 in hand-off");
        var during = collector.Collect();
        Assert.Contains("agentops_queue_length 7\n", during);
        Assert.Matches(@"agentops_queue_pending [27]\n", during);
        Assert.Matches(@"agentops_queue_lag [05]\n", during);
        gate.Release();
        await WaitUntil(() => Task.FromResult(consumer.Delivered == 5), "5 delivered");
        // The first stats snapshot (before the read) also had pending 2: wait for the one after the hand-off.
        await WaitUntil(() => Task.FromResult(consumer.LastStats == new QueueStats(7, 2, 0)), "stats refreshed after the hand-off");
        var after = collector.Collect();
        Assert.Contains("agentops_queue_pending 2\n", after);
        Assert.Contains("agentops_queue_delivered_total 5\n", after);
        Assert.Contains("agentops_queue_lag 0\n", after);
        Assert.Contains("agentops_queue_handoff_duration_seconds_count 1\n", after);
        await cts.CancelAsync();
        await run.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Claims_follow_the_injected_clock_not_the_wall_clock()
    {
        var clock = new AgentOps.Testing.Kube.ManualTimeProvider();
        await using var q = new InProcessTrajectoryQueue(new InProcessQueueOptions { TimeProvider = clock });
        for (var i = 0; i < 3; i++) await q.AppendAsync(Trajectories.Make($"tp-{i}"));
        Assert.Equal(3, (await q.ReadAsync("dead", 10, TimeSpan.Zero)).Count);
        var options = new TrajectoryConsumerOptions
        {
            ConsumerName = "trainer-tp",
            ReadWait = TimeSpan.FromSeconds(1),
            ClaimIdle = TimeSpan.FromMinutes(1),
            ClaimInterval = TimeSpan.FromSeconds(10),
            TimeProvider = clock,
        };
        await using var consumer = new TrajectoryConsumer(q, (_, _) => ValueTask.CompletedTask, options);
        using var cts = new CancellationTokenSource();
        var run = consumer.RunAsync(cts.Token);

        // Parked in a read wait on the manual clock; however long the wall clock runs, nothing is idle long enough.
        await WaitUntil(() => Task.FromResult(clock.PendingTimers >= 1), "consumer parked on the manual clock");
        await Task.Delay(300);
        Assert.Equal(0, consumer.Reclaimed);

        clock.Advance(TimeSpan.FromSeconds(59)); // idle 59 s < ClaimIdle
        await WaitUntil(() => Task.FromResult(clock.PendingTimers >= 1), "parked again");
        Assert.Equal(0, consumer.Reclaimed);
        Assert.Equal(3, (await q.GetStatsAsync()).Pending);

        // Past ClaimIdle: the next claim (due every ClaimInterval of manual time) takes them.
        await WaitUntil(() =>
        {
            if (clock.PendingTimers >= 1) clock.Advance(TimeSpan.FromSeconds(1));
            return Task.FromResult(consumer.Delivered == 3);
        }, "3 reclaimed and delivered");
        Assert.True(clock.GetUtcNow() >= new DateTimeOffset(2026, 1, 1, 0, 1, 0, TimeSpan.Zero), $"claimed at {clock.GetUtcNow():O}, before 60 s of manual time");
        Assert.Equal(3, consumer.Reclaimed);
        await cts.CancelAsync();
        await run.WaitAsync(Timeout);
    }

    private static async Task WaitUntil(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not reached within {Timeout.TotalSeconds} s: {what}");
            await Task.Delay(20);
        }
    }
}
