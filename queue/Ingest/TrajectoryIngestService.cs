using AgentOps.Protos.V1;
using AgentOps.Telemetry.Grpc;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Queue.Ingest;

/// <summary>
/// <c>TrajectoryIngest.Push</c> and <c>PushBatches</c> over any <see cref="ITrajectoryQueue"/> (issue 3, "Gateway"), on
/// grpc-dotnet: the run's bearer token is checked by a <see cref="BearerTokenInterceptor"/> (<see cref="ToGrpcService"/>);
/// each trajectory is validated (INVALID_ARGUMENT naming field and value); while the backlog is over its bound the call is
/// refused with RESOURCE_EXHAUSTED and a <c>retry-after-ms</c> trailer; appends are idempotent (a duplicate id counts as
/// acknowledged) and the ack goes out only once the queue stored every trajectory.
/// Trajectories are appended in batches (up to <see cref="IngestOptions.MaxAppendBatch"/>, or fewer when the client
/// pauses): one queue round trip per batch instead of one per trajectory. Each is stored as the bytes that arrived
/// (<see cref="IngestMethods"/>). A failed call may have stored some of its trajectories: the client resends them all,
/// with the same ids.
/// <code>
/// var service = new TrajectoryIngestService(queue, new IngestOptions { RunId = "demo", BearerToken = token });
/// await using var host = await GrpcServerHost.StartAsync(new GrpcServerHostOptions { Port = 7001 }, [service.ToGrpcService()]);
/// </code>
/// </summary>
public sealed class TrajectoryIngestService : IngestMethods.ServiceBase
{
    public const string RetryAfterTrailer = IngestTrailers.RetryAfterMs;
    private readonly ITrajectoryQueue _queue;
    private readonly IngestOptions _options;
    private readonly IngestMetrics _metrics;
    private readonly ILogger _logger;
    private readonly BacklogGate _backlog;

    public TrajectoryIngestService(ITrajectoryQueue queue, IngestOptions options, IngestMetrics? metrics = null, ILogger<TrajectoryIngestService>? logger = null)
    {
        if (string.IsNullOrEmpty(options.RunId)) throw new ArgumentException("IngestOptions.RunId must not be empty", nameof(options));
        if (options.MaxAppendsInFlight < 1) throw new ArgumentOutOfRangeException(nameof(options), $"IngestOptions.MaxAppendsInFlight must be at least 1, got {options.MaxAppendsInFlight}");
        if (options.MaxAppendBatch < 1) throw new ArgumentOutOfRangeException(nameof(options), $"IngestOptions.MaxAppendBatch must be at least 1, got {options.MaxAppendBatch}");
        _queue = queue;
        _options = options;
        _metrics = metrics ?? new IngestMetrics();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _backlog = new BacklogGate(queue, options);
    }

    /// <summary>This service for <see cref="GrpcServerHost"/>: the bearer-token check (when the options carry a token) and
    /// the receive limit (<paramref name="maxReceiveMessageSize"/>: bigger frames are RESOURCE_EXHAUSTED without being read).</summary>
    public GrpcService ToGrpcService(int? maxReceiveMessageSize = null) => GrpcService.Of(this, o =>
    {
        if (maxReceiveMessageSize is { } max) o.MaxReceiveMessageSize = max;
        if (_options.BearerToken is { } token)
            o.Interceptors.Add<BearerTokenInterceptor>(token, (Action<Status, ServerCallContext>)((status, context) =>
            {
                _metrics.PushCompleted(TimeSpan.Zero, status.StatusCode.ToString());
                Reject(context, status.StatusCode == StatusCode.Unauthenticated ? "unauthenticated" : "permission_denied", status);
            }));
    });

    /// <summary>TrajectoryIngest.Push: one trajectory per message.</summary>
    public override Task<PushAck> Push(IAsyncStreamReader<ReceivedTrajectory> requestStream, ServerCallContext context) =>
        PushAsync(new SingleReader(requestStream), context);

    /// <summary>TrajectoryIngest.PushBatches: a TrajectoryBatch per message.</summary>
    public override Task<PushAck> PushBatches(IAsyncStreamReader<ReceivedBatch> requestStream, ServerCallContext context) =>
        PushAsync(new BatchReader(requestStream), context);

    private async Task<PushAck> PushAsync(IAsyncStreamReader<IReadOnlyList<ReceivedTrajectory>> requestStream, ServerCallContext context)
    {
        var started = _options.TimeProvider.GetTimestamp();
        var code = StatusCode.OK;
        try
        {
            return await PushCoreAsync(requestStream, context).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            code = e.StatusCode;
            throw;
        }
        catch (Exception)
        {
            code = StatusCode.Unknown;
            throw;
        }
        finally
        {
            _metrics.PushCompleted(_options.TimeProvider.GetElapsedTime(started), code.ToString());
        }
    }

    private async Task<PushAck> PushCoreAsync(IAsyncStreamReader<IReadOnlyList<ReceivedTrajectory>> requestStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var inFlight = new Queue<Task<IReadOnlyList<AppendOutcome>>>();
        var batch = new List<SerializedTrajectory>();
        var batchBytes = 0L;
        var ack = new PushAck();
        Task<bool>? next = null;
        try
        {
            while (true)
            {
                next = requestStream.MoveNext(ct);
                // The client has nothing more for now: store what we hold instead of waiting for a full batch.
                if (!next.IsCompleted && batch.Count > 0) await FlushAsync().ConfigureAwait(false);
                bool more;
                try
                {
                    more = await next.ConfigureAwait(false);
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.ResourceExhausted or StatusCode.Internal)
                {
                    throw Reject(context, e.StatusCode == StatusCode.ResourceExhausted ? "frame_too_large" : "bad_frame", e.Status);
                }
                catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException)
                {
                    throw Reject(context, "bad_frame", new Status(StatusCode.Internal, $"a message of the stream is not a valid {(requestStream is BatchReader ? "TrajectoryBatch" : "Trajectory")}: {e.Message}"));
                }
                next = null;
                if (!more) break;
                foreach (var (summary, received) in requestStream.Current)
                {
                    if (TrajectoryValidator.Validate(summary, received.Bytes.Length, _options) is { } error)
                        throw Reject(context, error.Reason, new Status(StatusCode.InvalidArgument, error.Message));
                    if (await _backlog.OverBoundAsync(ct).ConfigureAwait(false) is { } backlog)
                    {
                        var retryMs = (long)_options.RetryAfter.TotalMilliseconds;
                        IngestLog.Backpressure(_logger, backlog, _options.MaxBacklog, context.Peer, retryMs);
                        _metrics.Rejected("backlog");
                        throw new RpcException(new Status(StatusCode.ResourceExhausted,
                                $"the run's unconsumed backlog is {backlog} trajectories, over the bound of {_options.MaxBacklog}: retry after {retryMs} ms"),
                            new Metadata { { RetryAfterTrailer, retryMs.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
                    }
                    batch.Add(received);
                    batchBytes += received.Bytes.Length;
                    if (batch.Count >= _options.MaxAppendBatch || batchBytes >= _options.MaxAppendBatchBytes) await FlushAsync().ConfigureAwait(false);
                }
            }
            if (batch.Count > 0) await FlushAsync().ConfigureAwait(false);
            while (inFlight.Count > 0) Count(ack, await inFlight.Dequeue().ConfigureAwait(false));
            return ack;
        }
        catch (QueueUnavailableException e)
        {
            IngestLog.QueueUnavailable(_logger, context.Peer, e.Message);
            _metrics.Rejected("queue_unavailable");
            throw new RpcException(new Status(StatusCode.Unavailable, $"the trajectory queue is unavailable: {e.Message}; retry (appends are idempotent)"));
        }
        finally
        {
            // Never leave an append (or a read) running unobserved after the call failed.
            foreach (var pending in inFlight)
                _ = pending.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            _ = next?.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
        }

        // One queue append for the trajectories held so far; at most MaxAppendsInFlight of them run at once.
        async Task FlushAsync()
        {
            if (inFlight.Count >= _options.MaxAppendsInFlight) Count(ack, await inFlight.Dequeue().ConfigureAwait(false));
            inFlight.Enqueue(AppendAsync(batch, ct));
            batch = [];
            batchBytes = 0;
        }
    }

    private async Task<IReadOnlyList<AppendOutcome>> AppendAsync(List<SerializedTrajectory> batch, CancellationToken ct)
    {
        var started = _options.TimeProvider.GetTimestamp();
        var outcomes = await _queue.AppendSerializedAsync(batch, ct).ConfigureAwait(false);
        _metrics.AppendLatency(_options.TimeProvider.GetElapsedTime(started));
        var (appended, duplicates, bytes) = (0, 0, 0L);
        for (var i = 0; i < outcomes.Count; i++)
        {
            if (outcomes[i] == AppendOutcome.Duplicate)
            {
                duplicates++;
                continue;
            }
            appended++;
            bytes += batch[i].Bytes.Length;
        }
        _metrics.Appended(appended, duplicates, bytes);
        return outcomes;
    }

    private static void Count(PushAck ack, IReadOnlyList<AppendOutcome> outcomes)
    {
        foreach (var outcome in outcomes)
        {
            if (outcome == AppendOutcome.Duplicate) ack.Duplicates++;
            else ack.Accepted++;
        }
    }

    private sealed class SingleReader(IAsyncStreamReader<ReceivedTrajectory> inner) : IAsyncStreamReader<IReadOnlyList<ReceivedTrajectory>>
    {
        public IReadOnlyList<ReceivedTrajectory> Current => [inner.Current];

        public Task<bool> MoveNext(CancellationToken cancellationToken) => inner.MoveNext(cancellationToken);
    }

    private sealed class BatchReader(IAsyncStreamReader<ReceivedBatch> inner) : IAsyncStreamReader<IReadOnlyList<ReceivedTrajectory>>
    {
        public IReadOnlyList<ReceivedTrajectory> Current => inner.Current.Trajectories;

        public Task<bool> MoveNext(CancellationToken cancellationToken) => inner.MoveNext(cancellationToken);
    }

    private RpcException Reject(ServerCallContext context, string reason, Status status)
    {
        _metrics.Rejected(reason);
        IngestLog.Rejected(_logger, context.Peer, reason, status.Detail);
        return new RpcException(status);
    }
}
