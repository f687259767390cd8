using AgentOps.Protos.Grpc;
using AgentOps.Protos.Queue;
using AgentOps.Protos.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Protos.Ingest;

/// <summary>
/// <c>TrajectoryIngest.Push</c> over any <see cref="ITrajectoryQueue"/> (issue 3, "Gateway"): checks the run's
/// bearer token, validates each trajectory (INVALID_ARGUMENT naming field and value), refuses with
/// RESOURCE_EXHAUSTED and a <c>retry-after-ms</c> trailer while the backlog is over its bound, appends
/// idempotently (a duplicate id counts as acknowledged) and acks only once the queue stored every trajectory.
/// Trajectories are appended in batches (up to <see cref="IngestOptions.MaxAppendBatch"/>, or fewer when the client
/// pauses): one queue round trip per batch instead of one per trajectory. Each is stored as the bytes that arrived,
/// validated from those bytes (<see cref="TrajectoryWireReader"/>) without building the message.
/// A failed call may have stored some of its trajectories: the client resends them all, with the same ids.
/// <code>
/// var service = new TrajectoryIngestService(queue, new IngestOptions { RunId = "demo", BearerToken = token });
/// await using var host = await GrpcServerHost.StartAsync(new GrpcServerHostOptions { Port = 7001 },
///     [TrajectoryIngest.BindService(service)]);
/// </code>
/// </summary>
public sealed class TrajectoryIngestService : TrajectoryIngest.TrajectoryIngestBase
{
    public const string RetryAfterTrailer = "retry-after-ms";
    private readonly ITrajectoryQueue _queue;
    private readonly IngestOptions _options;
    private readonly IngestMetrics _metrics;
    private readonly ILogger _logger;
    private readonly BacklogGate _backlog;
    private readonly byte[]? _token;

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
        _token = options.BearerToken is null ? null : System.Text.Encoding.UTF8.GetBytes(options.BearerToken);
    }

    public override async Task<PushAck> PushSerialized(IAsyncStreamReader<ReceivedTrajectory> requestStream, ServerCallContext context)
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

    private async Task<PushAck> PushCoreAsync(IAsyncStreamReader<ReceivedTrajectory> requestStream, ServerCallContext context)
    {
        if (_token != null)
        {
            var auth = BearerTokenAuthorization.Check(context, _token);
            if (auth.StatusCode != StatusCode.OK) throw Reject(context, auth.StatusCode == StatusCode.Unauthenticated ? "unauthenticated" : "permission_denied", auth);
        }
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
                next = null;
                if (!more) break;
                var (summary, received) = requestStream.Current;
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

    private RpcException Reject(ServerCallContext context, string reason, Status status)
    {
        _metrics.Rejected(reason);
        IngestLog.Rejected(_logger, context.Peer, reason, status.Detail);
        return new RpcException(status);
    }
}
