using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;

namespace AgentOps.Protos.Grpc;

/// <summary>
/// One client call over HttpClient HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md): sends the request headers
/// (te: trailers, grpc-timeout from the deadline, metadata), reads length-prefixed messages and ends with the
/// status from the trailers, or from the headers of a trailers-only response. The deadline is also enforced
/// locally: when it passes the HTTP/2 stream is reset and the call fails with DEADLINE_EXCEEDED.
/// </summary>
internal sealed class GrpcCall<TRequest, TResponse> : IDisposable
{
    private static readonly MediaTypeHeaderValue GrpcContentType = new(GrpcProtocol.ContentType);
    private readonly GrpcChannel _channel;
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;
    private readonly CancellationTokenSource _cts;
    private readonly TaskCompletionSource<Metadata> _headers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Status> _statusTcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _lock = new();
    private ITimer? _deadlineTimer;
    private volatile bool _deadlineHit;
    private volatile bool _disposed;
    private Task<bool> _responseReady = Task.FromResult(false);
    private ClientStreamContent? _content;
    private HttpResponseMessage? _response;
    private PipeReader? _reader;
    private Status? _status;
    private Metadata? _trailers;

    public GrpcCall(GrpcChannel channel, Method<TRequest, TResponse> method, CallOptions options)
    {
        _channel = channel;
        _method = method;
        _options = options;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
    }

    public Task<Metadata> ResponseHeadersAsync => _headers.Task;
    internal Task<Status> StatusAsync => _statusTcs.Task;
    internal CancellationToken CallToken => _cts.Token;
    internal int MaxSendMessageSize => _channel.Options.MaxSendMessageSize;
    internal Marshaller<TRequest> RequestMarshaller => _method.RequestMarshaller;

    public void StartUnary(TRequest request)
    {
        var frame = new ArrayBufferWriter<byte>();
        try
        {
            GrpcFrames.Write(frame, request, _method.RequestMarshaller, _channel.Options.MaxSendMessageSize);
        }
        catch (RpcException e)
        {
            Finish(e.Status, new Metadata());
            return;
        }
        Send(new ReadOnlyMemoryContent(frame.WrittenMemory));
    }

    public IClientStreamWriter<TRequest> StartClientStreaming()
    {
        var content = _content = new ClientStreamContent();
        var writer = new ClientStreamWriter<TRequest, TResponse>(this, content);
        Send(content);
        return writer;
    }

    private void Send(HttpContent content)
    {
        TimeSpan? timeout = null;
        if (_options.Deadline is { } deadline && deadline != DateTime.MaxValue)
        {
            timeout = deadline.ToUniversalTime() - _channel.Options.TimeProvider.GetUtcNow().UtcDateTime;
            if (timeout <= TimeSpan.Zero)
            {
                _deadlineHit = true;
                Finish(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded: the deadline had passed before the call started"), new Metadata());
                return;
            }
        }
        content.Headers.ContentType = GrpcContentType;
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_channel.Address, _method.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        var headers = request.Headers;
        headers.TryAddWithoutValidation("te", "trailers");
        headers.TryAddWithoutValidation("user-agent", GrpcProtocol.UserAgent);
        headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.IdentityEncoding);
        if (timeout is { } t) headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(t));
        AddMetadata(headers, _channel.Options.DefaultHeaders);
        AddMetadata(headers, _options.Headers);

        if (timeout is { } local)
            _deadlineTimer = _channel.Options.TimeProvider.CreateTimer(_ => OnDeadline(), null, local, Timeout.InfiniteTimeSpan);
        _responseReady = ReceiveHeadersAsync(_channel.Invoker.SendAsync(request, _cts.Token));
    }

    private static void AddMetadata(HttpRequestHeaders headers, Metadata? metadata)
    {
        if (metadata is null) return;
        foreach (var entry in metadata)
        {
            if (GrpcProtocol.IsReservedHeader(entry.Key) || entry.Key == "user-agent") continue;
            headers.TryAddWithoutValidation(entry.Key, MetadataCodec.EncodeValue(entry));
        }
    }

    private void OnDeadline()
    {
        _deadlineHit = true;
        Finish(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), new Metadata());
        try { _cts.Cancel(); } catch (ObjectDisposedException) { }
    }

    private async Task<bool> ReceiveHeadersAsync(Task<HttpResponseMessage> send)
    {
        try
        {
            var response = await send.ConfigureAwait(false);
            _response = response;
            var metadata = new Metadata();
            foreach (var (key, values) in response.Headers.NonValidated)
                MetadataCodec.AddTo(metadata, key, values.ToArray());
            if (response.Headers.NonValidated.TryGetValues(GrpcProtocol.StatusTrailer, out var statusValues))
            {
                // Trailers-only: the status came in the only HEADERS frame.
                _headers.TrySetResult(metadata);
                Finish(ParseStatus(statusValues.ToString(), response.Headers.NonValidated.TryGetValues(GrpcProtocol.MessageTrailer, out var m) ? m.ToString() : null), metadata);
                return false;
            }
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Finish(new Status(GrpcProtocol.FromHttpStatus((int)response.StatusCode), $"Bad gRPC response. HTTP status code: {(int)response.StatusCode}"), metadata);
                return false;
            }
            var contentType = response.Content.Headers.ContentType?.ToString();
            if (!GrpcProtocol.IsGrpcContentType(contentType))
            {
                Finish(new Status(StatusCode.Internal, $"Bad gRPC response. Invalid content-type value: {contentType}"), metadata);
                return false;
            }
            _headers.TrySetResult(metadata);
            var stream = await response.Content.ReadAsStreamAsync(_cts.Token).ConfigureAwait(false);
            _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
            return true;
        }
        catch (Exception e)
        {
            Finish(MapException(e, "Error starting gRPC call"), new Metadata());
            return false;
        }
    }

    /// <summary>The next response message, or (false, default) once the stream ended with its status.</summary>
    public async ValueTask<(bool HasMessage, TResponse? Message)> ReadMessageAsync(CancellationToken cancellationToken)
    {
        if (!await _responseReady.ConfigureAwait(false)) return (false, default);
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token) : null;
        try
        {
            var (has, message) = await GrpcFrames.ReadAsync(_reader!, _method.ResponseMarshaller,
                _channel.Options.MaxReceiveMessageSize, linked?.Token ?? _cts.Token).ConfigureAwait(false);
            if (has) return (true, message);
        }
        catch (RpcException e)
        {
            Finish(e.Status, new Metadata());
            try { _cts.Cancel(); } catch (ObjectDisposedException) { }
            return (false, default);
        }
        catch (Exception e)
        {
            Finish(MapException(e, "Error reading next message"), new Metadata());
            return (false, default);
        }
        ReadTrailers();
        return (false, default);
    }

    private void ReadTrailers()
    {
        var response = _response!;
        var trailers = new Metadata();
        foreach (var (key, values) in response.TrailingHeaders.NonValidated)
            MetadataCodec.AddTo(trailers, key, values.ToArray());
        if (!response.TrailingHeaders.NonValidated.TryGetValues(GrpcProtocol.StatusTrailer, out var status))
        {
            Finish(new Status(StatusCode.Internal, "No grpc-status found on response"), trailers);
            return;
        }
        Finish(ParseStatus(status.ToString(), response.TrailingHeaders.NonValidated.TryGetValues(GrpcProtocol.MessageTrailer, out var m) ? m.ToString() : null), trailers);
    }

    private static Status ParseStatus(string code, string? message)
    {
        var detail = message is null ? "" : PercentEncoding.Decode(message);
        return int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? new Status((StatusCode)n, detail)
            : new Status(StatusCode.Unknown, $"Invalid grpc-status '{code}'; message: {detail}");
    }

    /// <summary>Unary and client-streaming: exactly one message, then an OK status.</summary>
    public async Task<TResponse> ReadUnaryResponseAsync()
    {
        var (has, message) = await ReadMessageAsync(default).ConfigureAwait(false);
        if (has)
        {
            var (more, _) = await ReadMessageAsync(default).ConfigureAwait(false);
            if (more) Finish(new Status(StatusCode.Internal, "Protocol error: the server sent more than one message for a unary response"), new Metadata());
        }
        var status = _status!.Value;
        if (status.StatusCode != StatusCode.OK) throw new RpcException(status, _trailers!);
        if (!has) throw new RpcException(new Status(StatusCode.Internal, "Failed to deserialize response message: the server sent OK without a message"), _trailers!);
        return message!;
    }

    internal Status MapException(Exception e, string what)
    {
        if (_deadlineHit) return new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded", e);
        if (_disposed) return new Status(StatusCode.Cancelled, "The call was disposed", e);
        if (e is OperationCanceledException && _options.CancellationToken.IsCancellationRequested)
            return new Status(StatusCode.Cancelled, "The call was cancelled by the client", e);
        var inner = e.InnerException is { } i ? $" ({i.GetType().Name}: {i.Message})" : "";
        var detail = $"{what}. {e.GetType().Name}: {e.Message}{inner}";
        return e switch
        {
            HttpProtocolException { ErrorCode: 0x8 } => new Status(StatusCode.Cancelled, detail, e),
            HttpProtocolException { ErrorCode: 0x7 } => new Status(StatusCode.Unavailable, detail, e),
            HttpProtocolException => new Status(StatusCode.Internal, detail, e),
            HttpRequestException or IOException or OperationCanceledException => new Status(StatusCode.Unavailable, detail, e),
            _ => new Status(StatusCode.Internal, detail, e),
        };
    }

    private void Finish(Status status, Metadata trailers)
    {
        lock (_lock)
        {
            if (_status != null) return;
            _status = status;
            _trailers = trailers;
        }
        _headers.TrySetResult(new Metadata());
        _statusTcs.TrySetResult(status);
        _deadlineTimer?.Dispose();
        // A writer still waiting for the request stream (e.g. the connection was refused) must not wait forever.
        _content?.Fail(new RpcException(status));
    }

    public Status GetStatus() => _status ?? throw new InvalidOperationException("Unable to get the status because the call is not complete.");
    public Metadata GetTrailers() => _trailers ?? throw new InvalidOperationException("Unable to get the trailers because the call is not complete.");

    public void Dispose()
    {
        if (_status == null)
        {
            _disposed = true;
            Finish(new Status(StatusCode.Cancelled, "The call was disposed"), new Metadata());
        }
        try { _cts.Cancel(); } catch (ObjectDisposedException) { }
        _deadlineTimer?.Dispose();
        _response?.Dispose();
    }
}
