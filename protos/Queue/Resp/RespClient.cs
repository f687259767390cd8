using System.Buffers;

namespace AgentOps.Protos.Queue.Resp;

/// <summary>
/// A RESP connection that is dialled on first use and dialled again after it broke (Redis restarted, a command timed
/// out). A command without a reply within its timeout breaks the connection: a later reply could no longer be
/// matched to the command that waits for it. Thread-safe; commands from many callers are pipelined.
/// </summary>
internal sealed class RespClient(RespEndpoint endpoint, TimeSpan connectTimeout, TimeProvider time) : IAsyncDisposable
{
    private readonly SemaphoreSlim _dial = new(1, 1);
    private RespConnection? _connection;
    private bool _disposed;

    public RespEndpoint Endpoint => endpoint;

    /// <summary>Sends one command; <paramref name="closeOnCancel"/> drops the connection when the caller gives up
    /// (for a blocking read, so later commands do not queue behind it).</summary>
    public async Task<RespReply> SendAsync(ArrayBufferWriter<byte> command, TimeSpan timeout, CancellationToken cancellationToken, bool closeOnCancel = false)
    {
        var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        var reply = connection.SendAsync(command.WrittenSpan);
        try
        {
            return await reply.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            connection.Fail(new IOException($"redis {endpoint} gave no answer within {timeout.TotalSeconds:0.###} s", e));
            throw;
        }
        catch (OperationCanceledException) when (closeOnCancel && cancellationToken.IsCancellationRequested)
        {
            connection.Fail(new OperationCanceledException("a blocking command was cancelled", cancellationToken));
            throw;
        }
    }

    private async ValueTask<RespConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _connection);
        if (current is { IsBroken: false }) return current;
        await _dial.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is { IsBroken: false } fresh) return fresh;
            if (_connection is { } broken) await broken.DisposeAsync().ConfigureAwait(false);
            _connection = null;
            var connection = await RespConnection.ConnectAsync(endpoint, connectTimeout, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _connection, connection);
            return connection;
        }
        finally
        {
            _dial.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _dial.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_connection is { } c) await c.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }
        finally
        {
            _dial.Release();
        }
    }
}
