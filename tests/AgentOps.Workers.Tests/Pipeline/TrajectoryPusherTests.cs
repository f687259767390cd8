using AgentOps.Protos.Grpc;
using AgentOps.Protos.Queue;
using AgentOps.Protos.V1;
using AgentOps.Testing;
using AgentOps.Testing.Wire;
using AgentOps.Workers.Pipeline;

namespace AgentOps.Workers.Tests.Pipeline;

/// <summary>The pusher against the real ingest service over our gRPC transport.</summary>
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

    [Fact]
    public async Task Pushes_everything_in_batches_and_flush_waits_for_the_acks()
    {
        await using var gateway = await IngestGateway.StartAsync();
        using var channel = GrpcChannel.ForAddress(gateway.Host.Address);
        await using var pusher = new TrajectoryPusher(new TrajectoryIngest.TrajectoryIngestClient(channel), Fast());
        for (var i = 0; i < 500; i++) await pusher.EnqueueAsync(T(i));
        await pusher.FlushAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.Equal(0, pusher.Pending);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"p-{i:D4}"), (await gateway.DrainIdsAsync()).Order());
    }

    [Fact]
    public async Task Backpressure_is_retried_until_the_consumer_catches_up_and_nothing_is_lost_or_doubled()
    {
        await using var gateway = await IngestGateway.StartAsync(maxBacklog: 20);
        using var channel = GrpcChannel.ForAddress(gateway.Host.Address);
        await using var pusher = new TrajectoryPusher(new TrajectoryIngest.TrajectoryIngestClient(channel), Fast(batch: 8));
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
        for (var i = 0; i < 200; i++) await pusher.EnqueueAsync(T(i));
        await pusher.FlushAsync(new CancellationTokenSource(TimeSpan.FromSeconds(120)).Token);
        stop.Cancel();
        await consumer;
        consumed.AddRange(await gateway.DrainIdsAsync());
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"p-{i:D4}"), consumed.Order());
    }

    [Fact]
    public async Task Enqueue_waits_while_the_buffer_is_full_and_the_gateway_is_down_then_everything_arrives()
    {
        var port = LoopbackPort.Next();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        await using var pusher = new TrajectoryPusher(new TrajectoryIngest.TrajectoryIngestClient(channel), Fast(capacity: 10, batch: 5));
        // 5 in flight (retrying against nothing) + 10 buffered; the 16th must wait for space.
        for (var i = 0; i < 15; i++) await pusher.EnqueueAsync(T(i));
        var blocked = pusher.EnqueueAsync(T(15)).AsTask();
        await Task.Delay(1000);
        Assert.False(blocked.IsCompleted, "EnqueueAsync returned while the buffer was full and nothing could be pushed");

        await using var gateway = await IngestGateway.StartAsync(port: port);
        await blocked.WaitAsync(TimeSpan.FromSeconds(60));
        await pusher.FlushAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => $"p-{i:D4}"), (await gateway.DrainIdsAsync()).Order());
    }

    [Fact]
    public async Task An_invalid_trajectory_is_isolated_and_counted_while_the_rest_of_its_batch_is_stored()
    {
        await using var gateway = await IngestGateway.StartAsync();
        using var channel = GrpcChannel.ForAddress(gateway.Host.Address);
        await using var pusher = new TrajectoryPusher(new TrajectoryIngest.TrajectoryIngestClient(channel), Fast(batch: 10));
        for (var i = 0; i < 10; i++)
        {
            var t = T(i);
            if (i == 4) t.RunId = "wrong-run";
            await pusher.EnqueueAsync(t);
        }
        await pusher.FlushAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.Equal(1, pusher.Invalid);
        Assert.Equal(Enumerable.Range(0, 10).Where(i => i != 4).Select(i => $"p-{i:D4}"), (await gateway.DrainIdsAsync()).Order());
    }

    [Fact]
    public async Task A_wrong_token_stops_the_pusher_loudly()
    {
        await using var gateway = await IngestGateway.StartAsync();
        using var channel = GrpcChannel.ForAddress(gateway.Host.Address);
        await using var pusher = new TrajectoryPusher(new TrajectoryIngest.TrajectoryIngestClient(channel), Fast() with { BearerToken = "wrong" });
        await pusher.EnqueueAsync(T(0));
        var e = await Assert.ThrowsAsync<PushRejectedException>(() => pusher.FlushAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token));
        Assert.Equal(StatusCode.PermissionDenied, e.Status.StatusCode);
        Assert.Equal(1, e.Waiting);
        await Assert.ThrowsAsync<PushRejectedException>(async () => await pusher.EnqueueAsync(T(1)));
    }
}
