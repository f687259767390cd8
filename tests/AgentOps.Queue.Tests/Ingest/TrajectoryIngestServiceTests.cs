using Grpc.Core;
using Grpc.Net.Client;
using AgentOps.Telemetry.Grpc;
using AgentOps.Queue.Ingest;
using AgentOps.Telemetry;
using AgentOps.Queue;
using AgentOps.Protos.V1;
using AgentOps.Testing.Redis;
using AgentOps.Testing.Wire;
using Google.Protobuf;

namespace AgentOps.Queue.Tests.Ingest;

/// <summary>TrajectoryIngest.Push end to end over our gRPC transport: auth, validation, idempotency, backpressure.</summary>
public sealed class TrajectoryIngestServiceTests
{
    private static List<Trajectory> Batch(int n, string prefix = "t") =>
        Enumerable.Range(0, n).Select(i => SampleTrajectories.Valid($"{prefix}-{i}", "run-a")).ToList();

    private static async Task<List<string>> DrainIdsAsync(ITrajectoryQueue queue)
    {
        var ids = new List<string>();
        while (true)
        {
            var entries = await queue.ReadAsync("test", 100, TimeSpan.FromMilliseconds(100));
            if (entries.Count == 0) return ids;
            ids.AddRange(entries.Select(e => e.Trajectory.TrajectoryId));
            await queue.AcknowledgeAsync(entries);
        }
    }

    [Fact]
    public async Task Stopping_the_gateway_with_a_client_stream_open_ends_within_the_grace_and_the_client_gets_a_status()
    {
        // A pusher holds its HTTP/2 connection (and maybe a half-sent stream) open: shutdown must not wait for it forever.
        var server = await IngestServer.StartAsync();
        using var call = server.Client.Push(IngestServer.Auth(), DateTime.UtcNow.AddMinutes(5));
        await call.RequestStream.WriteAsync(Batch(1)[0]).WaitAsync(TimeSpan.FromSeconds(30));
        using var idle = GrpcChannel.ForAddress(server.Host.Address); // a second connection with a stream open
        using var idleCall = new TrajectoryIngest.TrajectoryIngestClient(idle).Push(IngestServer.Auth());
        await idleCall.RequestStream.WriteAsync(Batch(1, "idle")[0]).WaitAsync(TimeSpan.FromSeconds(30));

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await server.Host.StopAsync(TimeSpan.FromSeconds(1)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.InRange(stopping.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(15)); // 1 s grace, generous for a loaded box
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(TimeSpan.FromSeconds(30)));
        // Both are retried by TrajectoryPusher (a reset without its own stop counts as the gateway going away).
        Assert.True(e.StatusCode is StatusCode.Unavailable or StatusCode.Cancelled, $"got {e.Status}");
        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Push_acks_after_storing_and_a_retry_with_the_same_ids_is_acknowledged_as_duplicates()
    {
        await using var server = await IngestServer.StartAsync();
        var batch = Batch(50);
        var first = await server.PushAsync(batch);
        Assert.Equal(50UL, first.Accepted);
        Assert.Equal(0UL, first.Duplicates);
        Assert.Equal(50, (await server.Queue.GetStatsAsync()).Length);

        var retry = await server.PushAsync(batch.Concat(Batch(5, "new")));
        Assert.Equal(5UL, retry.Accepted);
        Assert.Equal(50UL, retry.Duplicates);
        var ids = await DrainIdsAsync(server.Queue);
        Assert.Equal(55, ids.Count);
        Assert.Equal(55, ids.Distinct().Count());
    }

    [Fact]
    public async Task PushBatches_stores_every_trajectory_of_every_message_as_its_bytes_and_refuses_an_invalid_one_by_field()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var queue = await RedisTrajectoryQueue.ConnectAsync(redis.ConnectionString, new RedisQueueOptions { RunId = "run-a" });
        await using var server = await IngestServer.StartAsync(queue);
        var sent = Batch(5, "b");
        using (var call = server.Client.PushBatches(IngestServer.Auth(), DateTime.UtcNow.AddSeconds(60)))
        {
            await call.RequestStream.WriteAsync(new TrajectoryBatch { Trajectories = { sent.Take(3) } });
            await call.RequestStream.WriteAsync(new TrajectoryBatch { Trajectories = { sent.Skip(3).Append(sent[0]) } }); // a repeat: a duplicate
            await call.RequestStream.CompleteAsync();
            var ack = await call;
            Assert.Equal(5UL, ack.Accepted);
            Assert.Equal(1UL, ack.Duplicates);
        }
        var stored = await queue.Connection.GetDatabase().StreamRangeAsync("agentops:{run-a}:trajectories");
        Assert.Equal(sent.Select(t => t.ToByteArray()), stored.Select(e => (byte[])e["p"]!));
        Assert.Equal(sent.Select(t => t.TrajectoryId), await DrainIdsAsync(queue));

        var bad = SampleTrajectories.Valid("bad-9", "run-a");
        bad.Segments[1].LossMask = ByteString.CopyFrom(1, 1, 1);
        using var refused = server.Client.PushBatches(IngestServer.Auth(), DateTime.UtcNow.AddSeconds(60));
        await refused.RequestStream.WriteAsync(new TrajectoryBatch { Trajectories = { Batch(2, "ok"), bad } });
        try { await refused.RequestStream.CompleteAsync(); } catch (RpcException) { }
        var e = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("segments[1].loss_mask: has 3 bytes", e.Status.Detail);
    }

    [Fact]
    public async Task Missing_token_is_unauthenticated_and_a_wrong_one_permission_denied()
    {
        await using var server = await IngestServer.StartAsync();
        var none = await Assert.ThrowsAsync<RpcException>(() => server.PushAsync(Batch(1), new Metadata()));
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        var wrong = await Assert.ThrowsAsync<RpcException>(() => server.PushAsync(Batch(1), IngestServer.Auth("other-run-token")));
        Assert.Equal(StatusCode.PermissionDenied, wrong.StatusCode);
        Assert.Equal(0, (await server.Queue.GetStatsAsync()).Length);
    }

    public static TheoryData<string, string> InvalidCases => new()
    {
        { "empty_id", "trajectory_id: must not be empty" },
        { "run_mismatch", "run_id: expected \"run-a\", got \"run-b\"" },
        { "unknown_environment", "environment: unknown environment \"chess\"" },
        { "mask_length", "segments[1].loss_mask: has 3 bytes for 24 token_ids" },
        { "logprob_length", "segments[1].logprobs: has 23 values for 24 token_ids" },
        { "logprobs_on_prompt", "segments[0].logprobs: has 1 values on a Prompt segment" },
        { "token_range", "segments[1].token_ids[0]: 999 is outside the vocabulary [0, 259)" },
        { "too_large", "bytes is over the limit of 65536 bytes" },
    };

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public async Task Each_invalid_trajectory_is_refused_naming_field_and_value(string kind, string expected)
    {
        await using var server = await IngestServer.StartAsync();
        var t = SampleTrajectories.Valid("bad-1", "run-a");
        switch (kind)
        {
            case "empty_id": t.TrajectoryId = ""; break;
            case "run_mismatch": t.RunId = "run-b"; break;
            case "unknown_environment": t.Environment = "chess"; break;
            case "mask_length": t.Segments[1].LossMask = ByteString.CopyFrom(1, 1, 1); break;
            case "logprob_length": t.Segments[1].Logprobs.RemoveAt(0); break;
            case "logprobs_on_prompt": t.Segments[0].Logprobs.Add(-0.5f); break;
            case "token_range": t.Segments[1].TokenIds[0] = 999; break;
            case "too_large": t = SampleTrajectories.Valid("bad-1", "run-a", approxBytes: 100 * 1024); break;
        }
        var e = await Assert.ThrowsAsync<RpcException>(() => server.PushAsync([SampleTrajectories.Valid("ok-0", "run-a"), t]));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(expected, e.Status.Detail);
        // the valid one before it may be stored (the client resends it with the same id); the invalid one never is
        Assert.DoesNotContain(await DrainIdsAsync(server.Queue), id => id == "bad-1" || id == "");
    }

    [Fact]
    public async Task Frame_over_the_transport_limit_is_resource_exhausted_and_counted()
    {
        using var collector = new MetricsCollector();
        await using var server = await IngestServer.StartAsync(options: IngestServer.DefaultOptions with { MaxTrajectoryBytes = 1024 * 1024 }, maxReceiveMessageSize: 32 * 1024);
        var e = await Assert.ThrowsAsync<RpcException>(() => server.PushAsync([SampleTrajectories.Valid("big", "run-a", approxBytes: 64 * 1024)]));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("exceeds the maximum configured message size", e.Status.Detail);
        Assert.Contains("agentops_ingest_rejections_total{reason=\"frame_too_large\"}", collector.Collect());
    }

    [Fact]
    public async Task Backlog_over_the_bound_is_resource_exhausted_with_a_retry_hint_until_consumed()
    {
        await using var server = await IngestServer.StartAsync(options: IngestServer.DefaultOptions with { MaxBacklog = 5 });
        Assert.Equal(6UL, (await server.PushAsync(Batch(6))).Accepted);

        using var call = server.Client.Push(IngestServer.Auth(), DateTime.UtcNow.AddSeconds(60));
        try
        {
            await call.RequestStream.WriteAsync(SampleTrajectories.Valid("late-0", "run-a"));
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
        }
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("backlog is 6", e.Status.Detail);
        Assert.Equal("1000", e.Trailers.GetValue(TrajectoryIngestService.RetryAfterTrailer));

        Assert.Equal(6, (await DrainIdsAsync(server.Queue)).Count);
        Assert.Equal(1UL, (await server.PushAsync([SampleTrajectories.Valid("late-0", "run-a")])).Accepted);
    }

    [Fact]
    public async Task Push_through_a_real_redis_stream_stores_each_id_once()
    {
        await using var redis = await RedisServer.StartAsync();
        var queue = await RedisTrajectoryQueue.ConnectAsync(redis.ConnectionString, new RedisQueueOptions { RunId = "run-a" });
        await using var server = await IngestServer.StartAsync(queue);
        var batch = Batch(200);
        Assert.Equal(200UL, (await server.PushAsync(batch)).Accepted);
        Assert.Equal(200UL, (await server.PushAsync(batch)).Duplicates);
        var ids = await DrainIdsAsync(queue);
        Assert.Equal(batch.Select(t => t.TrajectoryId).Order(), ids.Order());
    }

    [Fact]
    public async Task Appends_go_to_the_queue_in_batches_no_bigger_than_the_limit_in_stream_order()
    {
        var batches = new List<int>();
        var queue = new BatchRecordingQueue(new InProcessTrajectoryQueue(), batches);
        await using var server = await IngestServer.StartAsync(queue, IngestServer.DefaultOptions with { MaxAppendBatch = 8 });
        var sent = Batch(100, "s").Concat(Batch(3, "s")).ToList(); // 3 ids repeated at the end: duplicates
        var ack = await server.PushAsync(sent);
        Assert.Equal(100UL, ack.Accepted);
        Assert.Equal(3UL, ack.Duplicates);
        lock (batches)
        {
            Assert.Equal(103, batches.Sum());
            Assert.All(batches, n => Assert.InRange(n, 1, 8));
        }
        Assert.Equal(sent.Take(100).Select(t => t.TrajectoryId), await DrainIdsAsync(queue));
    }

    /// <summary>The in-process queue, recording the size of every batch the service appends.</summary>
    private sealed class BatchRecordingQueue(ITrajectoryQueue inner, List<int> batches) : ITrajectoryQueue
    {
        public event Action<DeadLetter>? DeadLettered
        {
            add => inner.DeadLettered += value;
            remove => inner.DeadLettered -= value;
        }

        public Task<AppendOutcome> AppendAsync(Trajectory trajectory, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the ingest service appends in batches");

        public Task<IReadOnlyList<AppendOutcome>> AppendBatchAsync(IReadOnlyList<Trajectory> trajectories, CancellationToken cancellationToken = default)
        {
            lock (batches) batches.Add(trajectories.Count);
            return inner.AppendBatchAsync(trajectories, cancellationToken);
        }

        public Task<IReadOnlyList<QueueEntry>> ReadAsync(string consumer, int maxCount, TimeSpan wait, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(consumer, maxCount, wait, cancellationToken);

        public Task AcknowledgeAsync(IReadOnlyCollection<QueueEntry> entries, CancellationToken cancellationToken = default) =>
            inner.AcknowledgeAsync(entries, cancellationToken);

        public Task<IReadOnlyList<QueueEntry>> ClaimAbandonedAsync(string consumer, TimeSpan minIdle, int maxCount, CancellationToken cancellationToken = default) =>
            inner.ClaimAbandonedAsync(consumer, minIdle, maxCount, cancellationToken);

        public Task<QueueStats> GetStatsAsync(CancellationToken cancellationToken = default) => inner.GetStatsAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
