using System.Threading.Channels;
using AgentOps.Protos.V1;
using AgentOps.Protos.Wire;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Workers.Pipeline;

/// <summary>
/// The executor side of the trajectory pipeline (issue 3, "Client side"): a bounded buffer drained in batches,
/// each batch one TrajectoryIngest.PushBatches client stream whose messages carry up to
/// <see cref="PusherOptions.MaxMessageBytes"/> of trajectories each (grpc-dotnet's cost per message is paid per
/// TrajectoryBatch, not per trajectory); a gateway that answers UNIMPLEMENTED (older than PushBatches) gets Push, one
/// trajectory per message, from then on. UNAVAILABLE, RESOURCE_EXHAUSTED (backpressure, honouring
/// the gateway's retry-after-ms) and DEADLINE_EXCEEDED are retried with exponential backoff and jitter, resending
/// the same trajectories (same ids, so the gateway stores each once). Nothing is dropped: a trajectory leaves the
/// pusher only acknowledged, or refused by the gateway as invalid (logged and counted); a permanent refusal
/// (wrong token) stops the pusher with <see cref="PushRejectedException"/>. <see cref="EnqueueAsync"/> waits
/// while the buffer is full, which slows the agent loop instead of growing memory.
/// <code>
/// await using var pusher = new TrajectoryPusher(GrpcChannel.ForAddress(gatewayUrl),
///     new PusherOptions { BearerToken = token });
/// await pusher.EnqueueAsync(trajectory, ct);   // per episode
/// await pusher.FlushAsync(ct);                 // at the end: everything acknowledged
/// </code>
/// </summary>
public sealed class TrajectoryPusher : IAsyncDisposable
{
    private readonly TrajectoryIngest.TrajectoryIngestClient _client;
    private readonly CallInvoker _invoker;
    private readonly PusherOptions _options;
    private readonly PusherMetrics _metrics;
    private readonly bool _ownsMetrics;
    private readonly ILogger _logger;
    private readonly Channel<Trajectory> _buffer;
    private readonly Backoff _backoff;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private readonly object _lock = new();
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _enqueued;
    private long _done;
    private long _invalid;
    private Exception? _fatal;
    private int _disposed;
    private volatile bool _batchesUnimplemented;
    // The pump's own: its send loop resumes on any thread after an await, so it must not use a thread's writer.
    private readonly TrajectoryWireWriter _sizer = new();

    /// <param name="channel">The gateway's channel (e.g. <c>GrpcChannel.ForAddress(url)</c>), not disposed by the pusher.</param>
    public TrajectoryPusher(ChannelBase channel, PusherOptions? options = null, PusherMetrics? metrics = null, ILogger<TrajectoryPusher>? logger = null)
    {
        _client = new TrajectoryIngest.TrajectoryIngestClient(channel);
        _invoker = channel.CreateCallInvoker();
        _options = options ?? new PusherOptions();
        if (_options.BufferCapacity < 1) throw new ArgumentOutOfRangeException(nameof(options), $"PusherOptions.BufferCapacity must be at least 1, got {_options.BufferCapacity}");
        if (_options.MaxBatch < 1) throw new ArgumentOutOfRangeException(nameof(options), $"PusherOptions.MaxBatch must be at least 1, got {_options.MaxBatch}");
        _buffer = Channel.CreateBounded<Trajectory>(new BoundedChannelOptions(_options.BufferCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _ownsMetrics = metrics is null;
        _metrics = metrics ?? new PusherMetrics(() => _buffer.Reader.Count);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _backoff = new Backoff(_options);
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Trajectories enqueued and not yet acknowledged (buffered or in flight).</summary>
    public long Pending => Interlocked.Read(ref _enqueued) - Interlocked.Read(ref _done);

    /// <summary>Trajectories the gateway refused as invalid (each logged with the reason).</summary>
    public long Invalid => Interlocked.Read(ref _invalid);

    /// <summary>Hands a trajectory to the pusher; waits while the buffer is full.</summary>
    public async ValueTask EnqueueAsync(Trajectory trajectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        if (_fatal is { } fatal) throw fatal;
        var started = _options.TimeProvider.GetTimestamp();
        Interlocked.Increment(ref _enqueued);
        try
        {
            if (!_buffer.Writer.TryWrite(trajectory))
                await _buffer.Writer.WriteAsync(trajectory, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _enqueued);
            if (_fatal is { } f) throw f;
            throw;
        }
        _metrics.Enqueued(_options.TimeProvider.GetElapsedTime(started));
    }

    /// <summary>Waits until every trajectory enqueued before the call is acknowledged (or refused as invalid).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var target = Interlocked.Read(ref _enqueued);
        while (true)
        {
            Task progress;
            lock (_lock) progress = _progress.Task;
            if (_fatal is { } fatal) throw fatal;
            if (Interlocked.Read(ref _done) >= target) return;
            await progress.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PumpAsync()
    {
        var batch = new List<Trajectory>(_options.MaxBatch);
        var reader = _buffer.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                batch.Clear();
                TopUp(batch);
                var started = _options.TimeProvider.GetTimestamp();
                await PushBatchAsync(batch, refill: batch).ConfigureAwait(false);
                _metrics.Pushed(_options.TimeProvider.GetElapsedTime(started));
                Interlocked.Add(ref _done, batch.Count);
                Signal();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (PushRejectedException e)
        {
            Stop(new PushRejectedException(e.Status, Pending));
            PusherLog.Fatal(_logger, e.Status.StatusCode.ToString(), e.Status.Detail);
        }
        catch (Exception e)
        {
            // A bug or a broken dependency must stop the pusher loudly: a dead pump would leave EnqueueAsync and
            // FlushAsync waiting forever.
            Stop(new InvalidOperationException($"the pusher's send loop failed ({e.GetType().Name}: {e.Message}); {Pending} trajectories are not stored", e));
            PusherLog.Failed(_logger, e);
        }
    }

    private void Stop(Exception fatal)
    {
        _fatal = fatal;
        _buffer.Writer.TryComplete(fatal);
        Signal();
    }

    /// <summary>Fills the batch from the buffer up to MaxBatch without waiting.</summary>
    private void TopUp(List<Trajectory> batch)
    {
        while (batch.Count < _options.MaxBatch && _buffer.Reader.TryRead(out var t)) batch.Add(t);
    }

    private void Signal()
    {
        lock (_lock)
        {
            _progress.TrySetResult();
            _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>
    /// Pushes until the gateway acknowledged the whole batch; splits it to isolate invalid trajectories. Before a
    /// retry, <paramref name="refill"/> (the pump's own batch) takes what arrived in the buffer meanwhile, so after
    /// an outage the pusher holds BufferCapacity + MaxBatch trajectories and resends them in full batches.
    /// </summary>
    private async Task PushBatchAsync(IReadOnlyList<Trajectory> batch, List<Trajectory>? refill = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            Status status;
            Metadata trailers;
            try
            {
                var ack = await PushOnceAsync(batch).ConfigureAwait(false);
                _metrics.Acknowledged(ack.Accepted, ack.Duplicates);
                if (ack.Accepted + ack.Duplicates == (ulong)batch.Count) return;
                status = new Status(StatusCode.Internal, $"the gateway acknowledged {ack.Accepted + ack.Duplicates} of {batch.Count} trajectories");
                trailers = new Metadata();
            }
            catch (RpcException e)
            {
                status = e.Status;
                trailers = e.Trailers;
            }
            var retryAfter = trailers.GetValue(IngestTrailers.RetryAfterMs) is { } hint && long.TryParse(hint, out var ms)
                ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
            switch (status.StatusCode)
            {
                case StatusCode.Unimplemented when !_batchesUnimplemented:
                    // A gateway from before PushBatches (trajectory.proto): the same trajectories again, one per message.
                    _batchesUnimplemented = true;
                    PusherLog.FallingBack(_logger, status.Detail);
                    break;
                case StatusCode.InvalidArgument:
                case StatusCode.ResourceExhausted when retryAfter is null: // a message over the size limit, not backpressure
                    await IsolateInvalidAsync(batch, status).ConfigureAwait(false);
                    return;
                case StatusCode.Cancelled when _stop.IsCancellationRequested:
                    throw new OperationCanceledException(_stop.Token);
                // Cancelled/Aborted without our own stop: the gateway reset the stream (e.g. shutting down for a rollout).
                case StatusCode.Unavailable or StatusCode.ResourceExhausted or StatusCode.DeadlineExceeded or StatusCode.Internal
                    or StatusCode.Cancelled or StatusCode.Aborted:
                    var delay = _backoff.Next(attempt, retryAfter ?? TimeSpan.Zero);
                    _metrics.Retry(status.StatusCode.ToString());
                    PusherLog.Retrying(_logger, batch.Count, status.StatusCode.ToString(), status.Detail, attempt, (long)delay.TotalMilliseconds);
                    await Task.Delay(delay, _options.TimeProvider, _stop.Token).ConfigureAwait(false);
                    if (refill != null) TopUp(refill);
                    break;
                default:
                    throw new PushRejectedException(status, Pending);
            }
        }
    }

    private async Task IsolateInvalidAsync(IReadOnlyList<Trajectory> batch, Status status)
    {
        if (batch.Count == 1)
        {
            Interlocked.Increment(ref _invalid);
            _metrics.Invalid();
            PusherLog.Invalid(_logger, batch[0].TrajectoryId, status.Detail);
            return;
        }
        foreach (var t in batch) await PushBatchAsync([t]).ConfigureAwait(false);
    }

    private async Task<PushAck> PushOnceAsync(IReadOnlyList<Trajectory> batch)
    {
        var headers = _options.BearerToken is { } token ? new Metadata { { "authorization", "Bearer " + token } } : null;
        var deadline = _options.TimeProvider.GetUtcNow().UtcDateTime + _options.CallTimeout;
        if (_batchesUnimplemented)
        {
            using var single = _client.Push(headers, deadline, _stop.Token);
            return await SendAsync(single.RequestStream, batch, single.ResponseAsync).ConfigureAwait(false);
        }
        using var call = _invoker.AsyncClientStreamingCall(PushBatchesMethod.Method, null, new CallOptions(headers, deadline, _stop.Token));
        return await SendAsync(call.RequestStream, Messages(batch), call.ResponseAsync).ConfigureAwait(false);
    }

    /// <summary>The batch as TrajectoryBatch messages of about MaxMessageBytes each (a larger trajectory alone).</summary>
    private IEnumerable<IReadOnlyList<Trajectory>> Messages(IReadOnlyList<Trajectory> batch)
    {
        var message = new List<Trajectory>();
        var bytes = 0;
        foreach (var t in batch)
        {
            var size = _sizer.Size(t);
            if (message.Count > 0 && bytes + size > _options.MaxMessageBytes)
            {
                yield return message;
                message = [];
                bytes = 0;
            }
            message.Add(t);
            bytes += size + 1 + CodedOutputStream.ComputeLengthSize(size);
        }
        if (message.Count > 0) yield return message;
    }

    private static async Task<PushAck> SendAsync<T>(IClientStreamWriter<T> requests, IEnumerable<T> messages, Task<PushAck> response)
    {
        try
        {
            foreach (var m in messages) await requests.WriteAsync(m).ConfigureAwait(false);
            await requests.CompleteAsync().ConfigureAwait(false);
        }
        catch (RpcException)
        {
            // The call ended early; ResponseAsync carries its status.
        }
        catch (InvalidOperationException)
        {
            // The call completed (with a status) before the stream did.
        }
        return await response.ConfigureAwait(false);
    }

    /// <summary>Pushes everything still buffered, then stops. Cancelling gives up on what is left (and says how much).</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        _buffer.Writer.TryComplete();
        try
        {
            await _pump.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            throw new OperationCanceledException($"pusher stopped with {Pending} trajectories not acknowledged", cancellationToken);
        }
        if (_fatal is { } fatal) throw fatal;
    }

    /// <summary>Stops at once, abandoning what is buffered: call <see cref="CompleteAsync"/> first to push it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _buffer.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _pump.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _stop.Dispose();
        if (_ownsMetrics) _metrics.Dispose();
    }
}
