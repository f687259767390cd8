using AgentOps.Queue;

namespace AgentOps.Queue.Tests;

/// <summary>
/// The one contract every <see cref="ITrajectoryQueue"/> passes (Redis Streams semantics: XADD MAXLEN ~ with an
/// idempotency key, XREADGROUP &gt;, XACK, XAUTOCLAIM, XINFO GROUPS). Subclasses only say how to make a queue.
/// </summary>
public abstract class TrajectoryQueueContract
{
    private static readonly TimeSpan NoWait = TimeSpan.Zero;

    /// <summary>A fresh, empty queue for one run.</summary>
    protected abstract Task<ITrajectoryQueue> CreateAsync(int maxLength = 100_000);

    [Fact]
    public async Task Append_then_duplicate_id_is_stored_once()
    {
        await using var q = await CreateAsync();
        Assert.Equal(AppendOutcome.Appended, await q.AppendAsync(Trajectories.Make("t-1")));
        Assert.Equal(AppendOutcome.Duplicate, await q.AppendAsync(Trajectories.Make("t-1")));
        Assert.Equal(AppendOutcome.Appended, await q.AppendAsync(Trajectories.Make("t-2")));
        Assert.Equal(new QueueStats(2, 0, 2), await q.GetStatsAsync());
        var read = await q.ReadAsync("c1", 10, NoWait);
        Assert.Equal(["t-1", "t-2"], read.Select(e => e.Trajectory.TrajectoryId));
        Assert.Equal(Trajectories.Make("t-1"), read[0].Trajectory);
        Assert.All(read, e => Assert.Equal(1, e.DeliveryCount));
    }

    [Fact]
    public async Task Batch_append_returns_one_outcome_per_trajectory_in_order_and_stores_each_id_once()
    {
        await using var q = await CreateAsync();
        await q.AppendAsync(Trajectories.Make("b-0"));
        var ids = new[] { "b-1", "b-0", "b-2", "b-1", "b-3" }; // b-0 stored before, b-1 twice in the batch
        var outcomes = await q.AppendBatchAsync(ids.Select(id => Trajectories.Make(id)).ToList());
        Assert.Equal([AppendOutcome.Appended, AppendOutcome.Duplicate, AppendOutcome.Appended, AppendOutcome.Duplicate, AppendOutcome.Appended], outcomes);
        Assert.Empty(await q.AppendBatchAsync([]));
        var read = await q.ReadAsync("c1", 10, NoWait);
        Assert.Equal(["b-0", "b-1", "b-2", "b-3"], read.Select(e => e.Trajectory.TrajectoryId));
        Assert.Equal(Trajectories.Make("b-2"), read[2].Trajectory);
    }

    [Fact]
    public async Task Serialized_append_stores_each_id_once_and_reads_back_the_messages()
    {
        await using var q = await CreateAsync();
        await q.AppendAsync(Trajectories.Make("s-0"));
        var ids = new[] { "s-1", "s-0", "s-2", "s-1" }; // s-0 stored before, s-1 twice in the batch
        var outcomes = await q.AppendSerializedAsync(ids.Select(id => SerializedTrajectory.Of(Trajectories.Make(id))).ToList());
        Assert.Equal([AppendOutcome.Appended, AppendOutcome.Duplicate, AppendOutcome.Appended, AppendOutcome.Duplicate], outcomes);
        Assert.Empty(await q.AppendSerializedAsync([]));
        var read = await q.ReadAsync("c1", 10, NoWait);
        Assert.Equal(["s-0", "s-1", "s-2"], read.Select(e => e.Trajectory.TrajectoryId));
        Assert.Equal(Trajectories.Make("s-2"), read[2].Trajectory);
    }

    [Fact]
    public async Task Batch_append_with_an_empty_id_stores_nothing_and_names_the_field()
    {
        await using var q = await CreateAsync();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => q.AppendBatchAsync([Trajectories.Make("ok"), Trajectories.Make("")]));
        Assert.Contains("trajectory_id", e.Message);
        Assert.Equal(0, (await q.GetStatsAsync()).Length);
    }

    [Fact]
    public async Task Duplicate_after_the_entry_was_read_and_acked_is_still_a_duplicate()
    {
        await using var q = await CreateAsync();
        await q.AppendAsync(Trajectories.Make("t-1"));
        await q.AcknowledgeAsync(await q.ReadAsync("c1", 10, NoWait));
        Assert.Equal(AppendOutcome.Duplicate, await q.AppendAsync(Trajectories.Make("t-1")));
        Assert.Empty(await q.ReadAsync("c1", 10, NoWait));
    }

    [Fact]
    public async Task Empty_id_is_rejected_naming_the_field()
    {
        await using var q = await CreateAsync();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => q.AppendAsync(Trajectories.Make("")));
        Assert.Contains("trajectory_id", e.Message);
    }

    [Fact]
    public async Task Read_delivers_each_entry_once_and_it_stays_pending_until_acked()
    {
        await using var q = await CreateAsync();
        for (var i = 0; i < 5; i++) await q.AppendAsync(Trajectories.Make($"t-{i}"));
        var first = await q.ReadAsync("c1", 3, NoWait);
        Assert.Equal(3, first.Count);
        Assert.Equal(new QueueStats(5, 3, 2), await q.GetStatsAsync());
        var second = await q.ReadAsync("c2", 10, NoWait);
        Assert.Equal(["t-3", "t-4"], second.Select(e => e.Trajectory.TrajectoryId));
        Assert.Empty(await q.ReadAsync("c1", 10, NoWait));
        Assert.Equal(new QueueStats(5, 5, 0), await q.GetStatsAsync());

        await q.AcknowledgeAsync(first);
        Assert.Equal(new QueueStats(5, 2, 0), await q.GetStatsAsync());
        await q.AcknowledgeAsync(second);
        await q.AcknowledgeAsync(second); // acking twice is harmless (XACK semantics)
        Assert.Equal(new QueueStats(5, 0, 0), await q.GetStatsAsync());
    }

    [Fact]
    public async Task Read_waits_for_an_append_and_returns_empty_after_the_wait()
    {
        await using var q = await CreateAsync();
        Assert.Empty(await q.ReadAsync("c1", 10, TimeSpan.FromMilliseconds(100)));
        var reader = q.ReadAsync("c1", 10, TimeSpan.FromSeconds(30));
        await Task.Delay(200);
        await q.AppendAsync(Trajectories.Make("late"));
        var got = await reader.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("late", Assert.Single(got).Trajectory.TrajectoryId);
    }

    [Fact]
    public async Task A_batch_appended_while_a_reader_waits_is_read_whole()
    {
        await using var q = await CreateAsync();
        var reader = q.ReadAsync("c1", 100, TimeSpan.FromSeconds(30));
        await Task.Delay(200);
        await q.AppendBatchAsync(Enumerable.Range(0, 10).Select(i => Trajectories.Make($"w-{i}")).ToList());
        var got = await reader.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"w-{i}"), got.Select(e => e.Trajectory.TrajectoryId));
    }

    [Fact]
    public async Task Entries_come_in_append_order_across_batches()
    {
        await using var q = await CreateAsync();
        var ids = Enumerable.Range(0, 40).Select(i => $"o-{i:D3}").ToList();
        foreach (var id in ids) await q.AppendAsync(Trajectories.Make(id));
        var seen = new List<string>();
        while (seen.Count < ids.Count)
        {
            var batch = await q.ReadAsync("c1", 7, NoWait);
            Assert.NotEmpty(batch);
            Assert.True(batch.Count <= 7, $"asked for at most 7, got {batch.Count}");
            seen.AddRange(batch.Select(e => e.Trajectory.TrajectoryId));
            await q.AcknowledgeAsync(batch);
        }
        Assert.Equal(ids, seen);
    }

    [Fact]
    public async Task Unacked_entries_are_claimed_by_another_consumer_after_idle()
    {
        await using var q = await CreateAsync();
        for (var i = 0; i < 4; i++) await q.AppendAsync(Trajectories.Make($"t-{i}"));
        var dead = await q.ReadAsync("dead", 10, NoWait);
        Assert.Equal(4, dead.Count);

        Assert.Empty(await q.ClaimAbandonedAsync("alive", TimeSpan.FromHours(1), 10)); // not idle long enough
        await Task.Delay(300);
        var claimed = await q.ClaimAbandonedAsync("alive", TimeSpan.FromMilliseconds(200), 3);
        Assert.Equal(["t-0", "t-1", "t-2"], claimed.Select(e => e.Trajectory.TrajectoryId));
        Assert.All(claimed, e => Assert.Equal(2, e.DeliveryCount));
        Assert.Equal(dead.Take(3).Select(e => e.EntryId), claimed.Select(e => e.EntryId));
        var rest = await q.ClaimAbandonedAsync("alive", TimeSpan.FromMilliseconds(200), 10);
        Assert.Equal("t-3", Assert.Single(rest).Trajectory.TrajectoryId);

        // Claimed entries are fresh again: nobody takes them back until they idle once more.
        Assert.Empty(await q.ClaimAbandonedAsync("third", TimeSpan.FromHours(1), 10));
        Assert.Equal(4, (await q.GetStatsAsync()).Pending);
        await q.AcknowledgeAsync([.. claimed, .. rest]);
        Assert.Equal(new QueueStats(4, 0, 0), await q.GetStatsAsync());
        await Task.Delay(300);
        Assert.Empty(await q.ClaimAbandonedAsync("alive", TimeSpan.FromMilliseconds(200), 10));
    }

    [Fact]
    public async Task MaxLength_caps_the_stream()
    {
        await using var q = await CreateAsync(maxLength: 10);
        for (var i = 0; i < 500; i++) await q.AppendAsync(Trajectories.Make($"m-{i}"));
        var stats = await q.GetStatsAsync();
        // Redis trims with "~" whole macro-nodes only (100 entries by default), so the bound is approximate.
        Assert.InRange(stats.Length, 10, 200);
        var read = await q.ReadAsync("c1", 1000, NoWait);
        Assert.Equal(stats.Length, read.Count);
        Assert.Equal("m-499", read[^1].Trajectory.TrajectoryId);
    }

    [Fact]
    public async Task Cancellation_ends_a_waiting_read_and_refuses_new_calls()
    {
        await using var q = await CreateAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var read = q.ReadAsync("c1", 10, TimeSpan.FromMinutes(5), cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(TimeSpan.FromSeconds(30)));

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => q.AppendAsync(Trajectories.Make("x"), cancelled.Token));
        Assert.Equal(0, (await q.GetStatsAsync()).Length);
    }
}
