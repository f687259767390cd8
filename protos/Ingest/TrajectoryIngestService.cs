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
        _queue = queue;
        _options = options;
        _metrics = metrics ?? new IngestMetrics();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _backlog = new BacklogGate(queue, options);
        _token = options.BearerToken is null ? null : System.Text.Encoding.UTF8.GetBytes(options.BearerToken);
    }

    public override async Task<PushAck> Push(IAsyncStreamReader<Trajectory> requestStream, ServerCallContext context)
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

    private async Task<PushAck> PushCoreAsync(IAsyncStreamReader<Trajectory> requestStream, ServerCallContext context)
    {
        if (_token != null)
        {
            var auth = BearerTokenAuthorization.Check(context, _token);
            if (auth.StatusCode != StatusCode.OK) throw Reject(context, auth.StatusCode == StatusCode.Unauthenticated ? "unauthenticated" : "permission_denied", auth);
        }
        var ct = context.CancellationToken;
        var inFlight = new Queue<Task<AppendOutcome>>();
        var ack = new PushAck();
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await requestStream.MoveNext(ct).ConfigureAwait(false);
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.ResourceExhausted or StatusCode.Internal)
                {
                    throw Reject(context, e.StatusCode == StatusCode.ResourceExhausted ? "frame_too_large" : "bad_frame", e.Status);
                }
                if (!more) break;
                var trajectory = requestStream.Current;
                if (TrajectoryValidator.Validate(trajectory, _options) is { } error)
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
                if (inFlight.Count >= _options.MaxAppendsInFlight) Count(ack, await inFlight.Dequeue().ConfigureAwait(false));
                inFlight.Enqueue(AppendAsync(trajectory, ct));
            }
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
            // Never leave an append running unobserved after the call failed.
            foreach (var pending in inFlight)
                _ = pending.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
        }
    }

    private async Task<AppendOutcome> AppendAsync(Trajectory trajectory, CancellationToken ct)
    {
        var started = _options.TimeProvider.GetTimestamp();
        var outcome = await _queue.AppendAsync(trajectory, ct).ConfigureAwait(false);
        _metrics.AppendLatency(_options.TimeProvider.GetElapsedTime(started));
        _metrics.Appended(trajectory.CalculateSize(), outcome == AppendOutcome.Duplicate);
        return outcome;
    }

    private static void Count(PushAck ack, AppendOutcome outcome)
    {
        if (outcome == AppendOutcome.Duplicate) ack.Duplicates++;
        else ack.Accepted++;
    }

    private RpcException Reject(ServerCallContext context, string reason, Status status)
    {
        _metrics.Rejected(reason);
        IngestLog.Rejected(_logger, context.Peer, reason, status.Detail);
        return new RpcException(status);
    }
}
