using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Protos.Grpc;

/// <summary>
/// One server call on Kestrel HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md): checks the request, runs the handler under
/// its deadline, writes messages and ends with grpc-status/grpc-message in trailers — or in the headers
/// (trailers-only) when nothing was sent. Writes are serialised so a deadline can end the call mid-stream.
/// </summary>
internal sealed class ServerCall
{
    private readonly GrpcServiceOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _cts;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly string _method;
    private bool _completed;
    private bool _bodyWritten;
    private bool _headersSent;
    private volatile bool _deadlineExceeded;

    private ServerCall(HttpContext http, string method, GrpcServiceOptions options, DateTime deadline, Metadata headers)
    {
        HttpContext = http;
        _method = method;
        _options = options;
        _logger = http.RequestServices?.GetService<ILoggerFactory>()?.CreateLogger("AgentOps.Grpc.Server") ?? NullLogger.Instance;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        Context = new ServerCallContext(this, method, deadline, headers, _cts.Token);
    }

    public HttpContext HttpContext { get; }
    public ServerCallContext Context { get; }

    public static async Task ProcessAsync(HttpContext http, ServerMethod? method, GrpcServiceOptions options)
    {
        var request = http.Request;
        var response = http.Response;
        var path = request.Path.Value ?? "";
        if (!HttpProtocol.IsHttp2(request.Protocol))
        {
            response.StatusCode = StatusCodes.Status426UpgradeRequired;
            response.Headers.Upgrade = "h2c";
            WriteTrailersOnly(response, new Status(StatusCode.Internal, $"Request protocol '{request.Protocol}' is not supported: gRPC needs HTTP/2"), null);
            return;
        }
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            WriteTrailersOnly(response, new Status(StatusCode.Internal, $"Content-Type '{request.ContentType}' is not supported: expected application/grpc"), null);
            return;
        }
        response.ContentType = GrpcProtocol.ContentType;
        if (method is null)
        {
            WriteTrailersOnly(response, new Status(StatusCode.Unimplemented, $"Method '{path}' is unimplemented"), null);
            return;
        }
        var encoding = request.Headers[GrpcProtocol.EncodingHeader].ToString();
        if (encoding.Length > 0 && encoding != GrpcProtocol.IdentityEncoding)
        {
            // PROTOCOL-HTTP2.md: an unsupported compression is UNIMPLEMENTED, listing what the server accepts.
            response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.IdentityEncoding;
            WriteTrailersOnly(response, new Status(StatusCode.Unimplemented, $"Unsupported grpc-encoding '{encoding}': this server accepts identity"), null);
            return;
        }
        DisableBodyLimits(http);

        var hasTimeout = GrpcTimeout.TryParse(request.Headers[GrpcProtocol.TimeoutHeader].ToString(), out var timeout);
        var deadline = hasTimeout ? options.TimeProvider.GetUtcNow().UtcDateTime + timeout : DateTime.MaxValue;
        var metadata = new Metadata();
        foreach (var (key, values) in request.Headers) MetadataCodec.AddTo(metadata, key, values);

        var call = new ServerCall(http, method.Path, options, deadline, metadata);
        await call.RunAsync(method, hasTimeout ? timeout : null).ConfigureAwait(false);
    }

    /// <summary>Long client streams must not be cut by Kestrel's body-size or minimum-data-rate limits.</summary>
    private static void DisableBodyLimits(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = null;
        if (http.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate) rate.MinDataRate = null;
        if (http.Features.Get<IHttpMinResponseDataRateFeature>() is { } responseRate) responseRate.MinDataRate = null;
    }

    private async Task RunAsync(ServerMethod method, TimeSpan? timeout)
    {
        using var timer = timeout is { } t ? _options.TimeProvider.CreateTimer(_ => _ = OnDeadlineAsync(t), null, t, Timeout.InfiniteTimeSpan) : null;
        try
        {
            if (_options.Authorize is { } authorize)
            {
                var status = await authorize(Context).ConfigureAwait(false);
                if (status.StatusCode != StatusCode.OK)
                {
                    ServerLog.Refused(_logger, _method, status);
                    throw new RpcException(status);
                }
            }
            var result = await method.InvokeAsync(this).ConfigureAwait(false);
            await CompleteAsync(result.WriteResponse, Context.Status, Context.ResponseTrailers).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var (status, trailers) = MapException(e);
            foreach (var entry in Context.ResponseTrailers) trailers.Add(entry);
            await CompleteAsync(null, status, trailers).ConfigureAwait(false);
        }
        finally
        {
            _cts.Dispose();
        }
    }

    private (Status, Metadata) MapException(Exception e)
    {
        switch (e)
        {
            case RpcException rpc:
                return (rpc.Status, rpc.Trailers);
            case OperationCanceledException when _deadlineExceeded:
                return (new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), new Metadata());
            case OperationCanceledException or IOException or Microsoft.AspNetCore.Connections.ConnectionAbortedException
                when HttpContext.RequestAborted.IsCancellationRequested:
                return (new Status(StatusCode.Cancelled, "The client cancelled the call"), new Metadata());
            default:
                ServerLog.HandlerFailed(_logger, _method, e);
                var detail = _options.EnableDetailedErrors ? $"Exception was thrown by handler: {e.GetType().Name}: {e.Message}" : "Exception was thrown by handler.";
                return (new Status(StatusCode.Unknown, detail, e), new Metadata());
        }
    }

    private async Task OnDeadlineAsync(TimeSpan timeout)
    {
        _deadlineExceeded = true;
        ServerLog.DeadlineExceeded(_logger, _method, timeout);
        try { _cts.Cancel(); } catch (ObjectDisposedException) { return; }
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_completed) return;
            _completed = true;
            WriteStatus(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), new Metadata());
            await HttpContext.Response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ServerLog.StatusWriteFailed(_logger, _method, e.Message);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task CompleteAsync(Action<ServerCall>? writeResponse, Status status, Metadata trailers)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_completed) return;
            _completed = true;
            if (writeResponse != null && status.StatusCode == StatusCode.OK)
            {
                try { writeResponse(this); }
                catch (RpcException e) { status = e.Status; }
            }
            WriteStatus(status, trailers);
        }
        catch (Exception e)
        {
            ServerLog.StatusWriteFailed(_logger, _method, e.Message);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void WriteStatus(Status status, Metadata trailers)
    {
        var response = HttpContext.Response;
        if (!_bodyWritten && !_headersSent && !response.HasStarted)
        {
            WriteTrailersOnly(response, status, trailers);
            return;
        }
        response.AppendTrailer(GrpcProtocol.StatusTrailer, ((int)status.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(status.Detail))
            response.AppendTrailer(GrpcProtocol.MessageTrailer, PercentEncoding.Encode(status.Detail));
        foreach (var entry in trailers)
            response.AppendTrailer(entry.Key, MetadataCodec.EncodeValue(entry));
    }

    /// <summary>PROTOCOL-HTTP2.md "Trailers-Only": status in the one HEADERS frame when no message was sent.</summary>
    private static void WriteTrailersOnly(HttpResponse response, Status status, Metadata? trailers)
    {
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.StatusTrailer] = ((int)status.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(status.Detail))
            response.Headers[GrpcProtocol.MessageTrailer] = PercentEncoding.Encode(status.Detail);
        if (trailers != null)
            foreach (var entry in trailers)
                response.Headers.Append(entry.Key, MetadataCodec.EncodeValue(entry));
    }

    public ValueTask<(bool HasMessage, T? Message)> ReadRequestAsync<T>(Marshaller<T> marshaller, CancellationToken cancellationToken)
    {
        var token = cancellationToken.CanBeCanceled && cancellationToken != _cts.Token
            ? cancellationToken // the handler's own token; the call's token still cancels the body read on abort
            : _cts.Token;
        return GrpcFrames.ReadAsync(HttpContext.Request.BodyReader, marshaller, _options.MaxReceiveMessageSize, token);
    }

    public async Task<T> ReadSingleRequestAsync<T>(Marshaller<T> marshaller)
    {
        var (has, message) = await ReadRequestAsync(marshaller, _cts.Token).ConfigureAwait(false);
        if (!has) throw new RpcException(new Status(StatusCode.Internal, "Request did not include a message"));
        var (more, _) = await ReadRequestAsync(marshaller, _cts.Token).ConfigureAwait(false);
        if (more) throw new RpcException(new Status(StatusCode.Internal, "Additional data after the message received: this method takes one request"));
        return message!;
    }

    /// <summary>Buffers one response message; sent with the trailers when the call completes.</summary>
    public void WriteMessage<T>(T message, Marshaller<T> marshaller)
    {
        GrpcFrames.Write(HttpContext.Response.BodyWriter, message, marshaller, _options.MaxSendMessageSize);
        _bodyWritten = true;
    }

    public async Task WriteStreamedMessageAsync<T>(T message, Marshaller<T> marshaller)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            ThrowIfCompleted();
            GrpcFrames.Write(HttpContext.Response.BodyWriter, message, marshaller, _options.MaxSendMessageSize);
            _bodyWritten = true;
            await HttpContext.Response.BodyWriter.FlushAsync(_cts.Token).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task WriteResponseHeadersAsync(Metadata headers)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            ThrowIfCompleted();
            if (_headersSent || _bodyWritten) throw new InvalidOperationException("Response headers can only be sent once per call, before any message");
            foreach (var entry in headers)
            {
                if (GrpcProtocol.IsReservedHeader(entry.Key)) throw new ArgumentException($"metadata key '{entry.Key}' is reserved by the gRPC protocol");
                HttpContext.Response.Headers.Append(entry.Key, MetadataCodec.EncodeValue(entry));
            }
            await HttpContext.Response.StartAsync(_cts.Token).ConfigureAwait(false);
            _headersSent = true;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void ThrowIfCompleted()
    {
        if (!_completed) return;
        throw new RpcException(_deadlineExceeded
            ? new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded")
            : new Status(StatusCode.Cancelled, "The call already completed"));
    }
}
