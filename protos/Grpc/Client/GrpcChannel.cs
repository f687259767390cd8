using System.Net;

namespace AgentOps.Protos.Grpc;

/// <summary>
/// A connection to a gRPC server over HttpClient HTTP/2 (grpc-dotnet's <c>GrpcChannel</c>): "http://" dials
/// cleartext h2c with prior knowledge, "https://" negotiates h2 through ALPN. Thread-safe; share one per server.
/// <code>
/// using var channel = GrpcChannel.ForAddress("http://127.0.0.1:5001");
/// var client = new TrajectoryIngest.TrajectoryIngestClient(channel);
/// using var call = client.Push(new Metadata { { "authorization", "Bearer " + token } });
/// foreach (var t in trajectories) await call.RequestStream.WriteAsync(t);
/// await call.RequestStream.CompleteAsync();
/// PushAck ack = await call.ResponseAsync;
/// </code>
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private readonly HttpMessageInvoker _invoker;

    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        Address = address;
        Options = options;
        var handler = options.HttpHandler ?? CreateDefaultHandler();
        _invoker = new HttpMessageInvoker(handler, options.DisposeHttpHandler);
    }

    public Uri Address { get; }
    internal GrpcChannelOptions Options { get; }
    internal HttpMessageInvoker Invoker => _invoker;

    public static GrpcChannel ForAddress(string address, GrpcChannelOptions? options = null) =>
        ForAddress(new Uri(address), options);

    public static GrpcChannel ForAddress(Uri address, GrpcChannelOptions? options = null)
    {
        if (address.Scheme is not ("http" or "https"))
            throw new ArgumentException($"gRPC address '{address}' must start with http:// or https://", nameof(address));
        return new GrpcChannel(address, options ?? new GrpcChannelOptions());
    }

    /// <summary>HTTP/2 without HttpClient's 100 s timeout (streams run as long as they need), with keep-alive
    /// pings so a dead peer is noticed, and a larger receive window for big messages.</summary>
    public static SocketsHttpHandler CreateDefaultHandler() => new()
    {
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        KeepAlivePingDelay = TimeSpan.FromSeconds(60),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        InitialHttp2StreamWindowSize = 4 * 1024 * 1024,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        UseProxy = false,
    };

    public AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options, TRequest request)
    {
        var call = new GrpcCall<TRequest, TResponse>(this, method, options);
        call.StartUnary(request);
        return new AsyncUnaryCall<TResponse>(call.ReadUnaryResponseAsync(), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options)
    {
        var call = new GrpcCall<TRequest, TResponse>(this, method, options);
        var writer = call.StartClientStreaming();
        return new AsyncClientStreamingCall<TRequest, TResponse>(writer, call.ReadUnaryResponseAsync(), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options, TRequest request)
    {
        var call = new GrpcCall<TRequest, TResponse>(this, method, options);
        call.StartUnary(request);
        return new AsyncServerStreamingCall<TResponse>(new ResponseStreamReader<TRequest, TResponse>(call), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public void Dispose() => _invoker.Dispose();
}
