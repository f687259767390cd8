using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace AgentOps.Protos.Queue.Resp;

/// <summary>
/// One Redis connection speaking RESP2 with pipelining (redis.io/docs/manual/pipelining): replies come back in the
/// order the commands were sent, so each command queues a completion and the read loop completes them in order.
/// Commands sent while a write is on the wire gather into the next write (one syscall for many). Any I/O or
/// protocol failure breaks the connection: every waiting command fails with it, and so does every later one
/// (<see cref="RespClient"/> then dials a new one).
/// </summary>
internal sealed class RespConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource<RespReply>> _waiting = new();
    private ArrayBufferWriter<byte> _out = new(64 * 1024);
    private ArrayBufferWriter<byte> _spare = new(64 * 1024);
    private bool _writing;
    private Exception? _failure;
    private readonly Task _readLoop;

    private RespConnection(Socket socket, Stream stream, string endpoint)
    {
        _socket = socket;
        _stream = stream;
        Endpoint = endpoint;
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
        _readLoop = Task.Run(ReadLoopAsync);
    }

    public string Endpoint { get; }

    public bool IsBroken => Volatile.Read(ref _failure) != null;

    /// <summary>Dials, then AUTH and SELECT as the endpoint asks.</summary>
    public static async Task<RespConnection> ConnectAsync(RespEndpoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(endpoint.EndPoint, cts.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: false);
            if (endpoint.Tls)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = endpoint.TlsHost ?? endpoint.Host }, cts.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            stream?.Dispose();
            socket.Dispose();
            throw new TimeoutException($"no connection to redis {endpoint} within {timeout.TotalSeconds:0.###} s");
        }
        catch
        {
            stream?.Dispose();
            socket.Dispose();
            throw;
        }
        var connection = new RespConnection(socket, stream, endpoint.ToString());
        try
        {
            if (endpoint.Password is { } password) await connection.HandshakeAsync("AUTH", password, timeout, cts.Token).ConfigureAwait(false);
            if (endpoint.Database != 0) await connection.HandshakeAsync("SELECT", endpoint.Database.ToString(System.Globalization.CultureInfo.InvariantCulture), timeout, cts.Token).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return connection;
    }

    private async Task HandshakeAsync(string command, string argument, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        RespWriter.ArrayHeader(buffer, 2);
        RespWriter.Bulk(buffer, command);
        RespWriter.Bulk(buffer, argument);
        var reply = await SendAsync(buffer.WrittenSpan).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        if (reply.IsError) throw new InvalidOperationException($"redis {Endpoint} refused {command}: {reply.Text}");
    }

    /// <summary>Queues one command (a whole RESP array) and returns its reply, in send order with the others.</summary>
    public Task<RespReply> SendAsync(ReadOnlySpan<byte> command)
    {
        var reply = new TaskCompletionSource<RespReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool start;
        lock (_lock)
        {
            if (_failure is { } failure) return Task.FromException<RespReply>(failure);
            _waiting.Enqueue(reply);
            command.CopyTo(_out.GetSpan(command.Length));
            _out.Advance(command.Length);
            start = !_writing;
            _writing = true;
        }
        if (start) _ = WriteLoopAsync();
        return reply.Task;
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                ArrayBufferWriter<byte> batch;
                lock (_lock)
                {
                    if (_out.WrittenCount == 0 || _failure != null)
                    {
                        _writing = false;
                        return;
                    }
                    batch = _out;
                    _out = _spare;
                    _spare = batch;
                }
                await _stream.WriteAsync(batch.WrittenMemory).ConfigureAwait(false);
                await _stream.FlushAsync().ConfigureAwait(false);
                batch.ResetWrittenCount();
            }
        }
        catch (Exception e)
        {
            Fail(new IOException($"writing to redis {Endpoint} failed: {e.Message}", e));
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                while (RespParser.TryParse(ref buffer, out var reply))
                {
                    TaskCompletionSource<RespReply>? waiting;
                    lock (_lock) _waiting.TryDequeue(out waiting);
                    if (waiting is null) throw new InvalidDataException($"redis {Endpoint} sent {reply.Describe()} that no command waits for");
                    waiting.TrySetResult(reply);
                }
                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) throw new IOException($"redis {Endpoint} closed the connection");
            }
        }
        catch (Exception e)
        {
            Fail(e is IOException or InvalidDataException ? e : new IOException($"reading from redis {Endpoint} failed: {e.Message}", e));
        }
    }

    /// <summary>Breaks the connection: every waiting and later command fails with <paramref name="reason"/>.</summary>
    public void Fail(Exception reason)
    {
        TaskCompletionSource<RespReply>[] waiting;
        lock (_lock)
        {
            if (_failure != null) return;
            _failure = reason;
            waiting = [.. _waiting];
            _waiting.Clear();
        }
        foreach (var w in waiting) w.TrySetException(reason);
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new ObjectDisposedException(nameof(RespConnection), $"the connection to redis {Endpoint} was closed"));
        try { await _readLoop.ConfigureAwait(false); } catch (Exception) { }
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Where and how to dial: the parts of a StackExchange.Redis configuration string a RESP connection needs.</summary>
internal sealed record RespEndpoint(EndPoint EndPoint, string Host, string? Password, int Database, bool Tls, string? TlsHost)
{
    public static RespEndpoint FromConfiguration(string configuration)
    {
        var options = StackExchange.Redis.ConfigurationOptions.Parse(configuration);
        if (options.EndPoints.Count == 0) throw new ArgumentException($"redis configuration \"{configuration}\" names no endpoint", nameof(configuration));
        var endpoint = options.EndPoints[0];
        var host = endpoint switch
        {
            DnsEndPoint dns => dns.Host,
            IPEndPoint ip => ip.Address.ToString(),
            _ => endpoint.ToString() ?? "",
        };
        if (endpoint is DnsEndPoint { Port: 0 } d) endpoint = new DnsEndPoint(d.Host, 6379);
        if (endpoint is IPEndPoint { Port: 0 } i) endpoint = new IPEndPoint(i.Address, 6379);
        return new RespEndpoint(endpoint, host, string.IsNullOrEmpty(options.Password) ? null : options.Password,
            options.DefaultDatabase ?? 0, options.Ssl, options.SslHost);
    }

    public override string ToString() => EndPoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => EndPoint.ToString() ?? Host,
    };
}
