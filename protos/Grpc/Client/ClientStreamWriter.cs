namespace AgentOps.Protos.Grpc;

/// <summary>
/// Writes a client stream with write combining: messages are framed into a buffer and one pump task moves
/// whole buffers to the HTTP/2 stream, so while one write is on the wire the next messages gather into
/// one larger write. WriteAsync returns once the message is buffered, and waits when more than
/// <see cref="HighWaterBytes"/> are queued until the pump takes that buffer (double buffering: one buffer on
/// the wire, one filling), which is the backpressure of the connection's flow control.
/// </summary>
internal sealed class ClientStreamWriter<TRequest, TResponse>(GrpcCall<TRequest, TResponse> call, ClientStreamContent content)
    : IClientStreamWriter<TRequest>
{
    private const int HighWaterBytes = 512 * 1024;
    private readonly object _lock = new();
    private PooledBufferWriter _pending = new(64 * 1024);
    private PooledBufferWriter _spare = new(64 * 1024);
    private Task _pump = Task.CompletedTask;
    private TaskCompletionSource? _space;
    private bool _pumping;
    private bool _completed;
    private Exception? _error;

    public async Task WriteAsync(TRequest message)
    {
        if (_completed) throw new InvalidOperationException("Request stream has already been completed.");
        await ThrowIfCallEndedAsync().ConfigureAwait(false);
        Stream stream;
        try
        {
            stream = await content.StreamTask.WaitAsync(call.CallToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw await WriteFailureAsync(e).ConfigureAwait(false);
        }
        Task wait;
        lock (_lock)
        {
            if (_error != null) wait = Task.FromException(_error);
            else
            {
                GrpcFrames.Write(_pending, message, call.RequestMarshaller, call.MaxSendMessageSize);
                if (!_pumping)
                {
                    _pumping = true;
                    _pump = PumpAsync(stream);
                }
                if (_pending.WrittenCount >= HighWaterBytes)
                {
                    _space ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _space.Task;
                }
                else wait = Task.CompletedTask;
            }
        }
        try
        {
            await wait.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw await WriteFailureAsync(e).ConfigureAwait(false);
        }
    }

    private async Task PumpAsync(Stream stream)
    {
        await Task.Yield();
        try
        {
            while (true)
            {
                PooledBufferWriter batch;
                TaskCompletionSource? space;
                lock (_lock)
                {
                    if (_pending.WrittenCount == 0)
                    {
                        _pumping = false;
                        return;
                    }
                    batch = _pending;
                    _pending = _spare;
                    _spare = batch;
                    space = _space;
                    _space = null;
                }
                space?.TrySetResult();
                await stream.WriteAsync(batch.WrittenMemory, call.CallToken).ConfigureAwait(false);
                batch.ResetWrittenCount();
                bool idle;
                lock (_lock) idle = _pending.WrittenCount == 0;
                if (idle) await stream.FlushAsync(call.CallToken).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            TaskCompletionSource? space;
            lock (_lock)
            {
                _error = e;
                _pumping = false;
                space = _space;
                _space = null;
            }
            space?.TrySetException(e);
            throw;
        }
    }

    public async Task CompleteAsync()
    {
        if (_completed) return;
        _completed = true;
        while (true)
        {
            Task pump;
            lock (_lock)
            {
                if (!_pumping) break;
                pump = _pump;
            }
            try
            {
                await pump.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                throw await WriteFailureAsync(e).ConfigureAwait(false);
            }
        }
        if (_error != null) throw await WriteFailureAsync(_error).ConfigureAwait(false);
        // The pump has ended and no write can start (completed): the buffers go back to the pool. After a failure they
        // are left to the GC instead, as the failed write may still hold one.
        lock (_lock)
        {
            _pending.Dispose();
            _spare.Dispose();
        }
        content.Complete();
    }

    private async Task ThrowIfCallEndedAsync()
    {
        if (!call.StatusAsync.IsCompleted) return;
        var status = await call.StatusAsync.ConfigureAwait(false);
        throw status.StatusCode == StatusCode.OK
            ? new InvalidOperationException("Can't write the message because the call is complete.")
            : new RpcException(status, call.GetTrailers());
    }

    /// <summary>A failed write usually means the server ended the call: report the call's status, as grpc-dotnet does.</summary>
    private async Task<Exception> WriteFailureAsync(Exception e)
    {
        if (e is RpcException { StatusCode: StatusCode.ResourceExhausted } tooBig) return tooBig;
        content.Fail(e);
        var ended = await Task.WhenAny(call.StatusAsync, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        if (ended == call.StatusAsync && call.StatusAsync.Result.StatusCode != StatusCode.OK)
            return new RpcException(call.StatusAsync.Result, call.GetTrailers());
        return new RpcException(call.MapException(e, "Error writing the request stream"));
    }
}
