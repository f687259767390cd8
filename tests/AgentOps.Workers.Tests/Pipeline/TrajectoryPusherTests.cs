using Grpc.Core;
using Grpc.Net.Client;
using AgentOps.Telemetry.Grpc;
using AgentOps.Queue;
using AgentOps.Protos.V1;
using AgentOps.Testing;
using AgentOps.Testing.Wire;
using AgentOps.Workers.Pipeline;

namespace AgentOps.Workers.Tests.Pipeline;

/// <summary>The pusher against the real ingest service over our gRPC transport. Every await is bounded (<see cref="Bounded"/>).</summary>
public sealed class TrajectoryPusherTests
{
    private static PusherOptions Fast(int capacity = 64, int batch = 16) => new()
    {
        BearerToken = IngestGateway.Token,
        BufferCapacity = capacity,
        MaxBatch = batch,
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
    };

    private static Trajectory T(int i) => SampleTrajectories.Valid($"p-{i:D4}", IngestGateway.Run, seed: i);

    private static CancellationToken Limit => new CancellationTokenSource(Bounded.Limit).Token;

    private static TrajectoryPusher Pusher(GrpcChannel channel, PusherOptions options) =>
        new(channel, options);

    [Fact]
    public async Task Pushes_everything_in_batches_and_flush_waits_for_the_acks()
    {
        var gateway = await IngestGateway.StartAsync().Within();
        await using var _ = gateway.DisposedWithin();
        using var channel = GrpcChannel.ForAddress(gateway.Host.Address);
        var pusher = Pusher(channel, Fast());
        await using var __ = pusher.DisposedWithin();
        for (var i = 0; i < 500; i++) await pusher.EnqueueAsync(T(i)).Within();
        await pusher.FlushAsync(Limit).Within();
        Assert.Equal(0, pusher.Pending);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"p-{i:D4}"), (await gateway.DrainIdsAsync().Within()).Order());
    }

    [Fact]
    public async Task Backpressure_is_retried_until_the_consumer_catches_up_and_nothing_is_lost_or_doubled()
    {
        var gateway = await IngestGateway.StartAsync(maxBacklog: 20).Within();
        await using var _ = gateway.DisposedWithin();
        using var channel = GrpcChannel.ForAddress(gateway.Host.Address);
        var pusher = Pusher(channel, Fast(batch: 8));
        await using var __ = pusher.DisposedWithin();
        var consumed = new List<string>();
        using var stop = new CancellationTokenSource();
        var consumer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(50); // a slow trainer
                var entries = await gateway.Queue.ReadAsync("trainer", 10, TimeSpan.FromMilliseconds(10));
                consumed.AddRange(entries.Select(e => e.Trajectory.TrajectoryId));
                await gateway.Queue.AcknowledgeAsync(entries);
            }
        });
        for (var i = 0; i < 200; i++) await pusher.EnqueueAsync(T(i)).Within();
        await pusher.FlushAsync(new CancellationTokenSource(TimeSpan.FromSeconds(120)).Token).WaitAsync(TimeSpan.FromSeconds(120));
        stop.Cancel();
        await consumer.Within();
        consumed.AddRange(await gateway.DrainIdsAsync().Within());
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"p-{i:D4}"), consumed.Order());
    }

    [Theory]
    [InlineData(0)]
    // The clean-clone CI hang: the pump woke after the first enqueue and took a batch of 1; with the gateway down it
    // kept retrying that batch, so only 1 + 10 fitted and the 12th enqueue waited forever. An agent loop slower than
    // the pump's wake-up makes that happen every time.
    [InlineData(30)]
    public async Task Enqueue_waits_while_the_buffer_is_full_and_the_gateway_is_down_then_everything_arrives(int agentLoopPauseMs)
    {
        var port = LoopbackPort.Next();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        var pusher = Pusher(channel, Fast(capacity: 10, batch: 5));
        await using var _ = pusher.DisposedWithin();
        // 10 buffered + 5 in flight (retrying against nothing). The pump may first take fewer than 5 (it sends
        // what is there when it wakes), but it refills its batch before each retry, so the first 15 are taken and
        // the 16th must wait for space.
        for (var i = 0; i < 15; i++)
        {
            await pusher.EnqueueAsync(T(i)).Within();
            if (agentLoopPauseMs > 0) await Task.Delay(agentLoopPauseMs);
        }
        var blocked = pusher.EnqueueAsync(T(15)).AsTask();
        await Task.Delay(1000);
        Assert.False(blocked.IsCompleted, "EnqueueAsync returned while buffer and batch were full and nothing could be pushed");

        var gateway = await IngestGateway.StartAsync(port: port).Within();
        await using var __ = gateway.DisposedWithin();
        await blocked.Within();
        await pusher.FlushAsync(Limit).Within();
        Assert.Equal(Enumerable.Range(0, 16).Select(i => $"p-{i:D4}"), (await gateway.DrainIdsAsync().Within()).Order());
    }

    [Fact]
    public async Task An_invalid_trajectory_is_isolated_and_counted_while_the_rest_of_its_batch_is_stored()
    {
        var gateway = await IngestGateway.StartAsync().Within();
        await using var _ = gateway.DisposedWithin();
        using var channel = GrpcChannel.ForAddress(gateway.Host.Address);
        var pusher = Pusher(channel, Fast(batch: 10));
        await using var __ = pusher.DisposedWithin();
        for (var i = 0; i < 10; i++)
        {
            var t = T(i);
            if (i == 4) t.RunId = "wrong-run";
            await pusher.EnqueueAsync(t).Within();
        }
        await pusher.FlushAsync(Limit).Within();
        Assert.Equal(1, pusher.Invalid);
        Assert.Equal(Enumerable.Range(0, 10).Where(i => i != 4).Select(i => $"p-{i:D4}"), (await gateway.DrainIdsAsync().Within()).Order());
    }

    [Fact]
    public async Task A_wrong_token_stops_the_pusher_loudly()
    {
        var gateway = await IngestGateway.StartAsync().Within();
        await using var _ = gateway.DisposedWithin();
        using var channel = GrpcChannel.ForAddress(gateway.Host.Address);
        var pusher = Pusher(channel, Fast() with { BearerToken = "wrong" });
        await using var __ = pusher.DisposedWithin();
        await pusher.EnqueueAsync(T(0)).Within();
        var e = await Assert.ThrowsAsync<PushRejectedException>(() => pusher.FlushAsync(Limit).Within());
        Assert.Equal(StatusCode.PermissionDenied, e.Status.StatusCode);
        Assert.Equal(1, e.Waiting);
        await Assert.ThrowsAsync<PushRejectedException>(() => pusher.EnqueueAsync(T(1)).Within());
    }

    [Fact]
    public async Task A_failure_inside_the_pusher_stops_it_loudly_instead_of_leaving_enqueue_and_flush_waiting()
    {
        // Nothing listens, so the first push fails and the pump sleeps before its retry on a clock that breaks.
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{LoopbackPort.Next()}");
        var pusher = Pusher(channel, Fast(capacity: 2, batch: 1) with { TimeProvider = new TimerlessClock() });
        await using var _ = pusher.DisposedWithin();
        await pusher.EnqueueAsync(T(0)).Within();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => pusher.FlushAsync(Limit).Within());
        Assert.Contains("send loop failed", e.Message);
        Assert.Contains("1 trajectories are not stored", e.Message);
        Assert.IsType<NotSupportedException>(e.InnerException);
        await Assert.ThrowsAsync<InvalidOperationException>(() => pusher.EnqueueAsync(T(1)).Within());
        await Assert.ThrowsAsync<InvalidOperationException>(() => pusher.CompleteAsync(Limit).Within());
    }

    /// <summary>The system clock without timers: Task.Delay on it throws, as a broken dependency of the pump would.</summary>
    private sealed class TimerlessClock : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            throw new NotSupportedException("this clock has no timers");
    }
}
