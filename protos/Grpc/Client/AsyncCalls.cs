using System.Runtime.CompilerServices;

namespace AgentOps.Protos.Grpc;

/// <summary>A unary call in flight (Grpc.Core's <c>AsyncUnaryCall</c>); await it for the response.</summary>
public sealed class AsyncUnaryCall<TResponse>(
    Task<TResponse> responseAsync, Task<Metadata> responseHeadersAsync, Func<Status> getStatus, Func<Metadata> getTrailers, Action dispose) : IDisposable
{
    public Task<TResponse> ResponseAsync { get; } = responseAsync;
    public Task<Metadata> ResponseHeadersAsync { get; } = responseHeadersAsync;
    public TaskAwaiter<TResponse> GetAwaiter() => ResponseAsync.GetAwaiter();

    /// <summary>The final status; only once the call has finished.</summary>
    public Status GetStatus() => getStatus();
    public Metadata GetTrailers() => getTrailers();
    public void Dispose() => dispose();
}

/// <summary>A client-streaming call in flight: write to <see cref="RequestStream"/>, complete it, await the response.</summary>
public sealed class AsyncClientStreamingCall<TRequest, TResponse>(
    IClientStreamWriter<TRequest> requestStream, Task<TResponse> responseAsync, Task<Metadata> responseHeadersAsync,
    Func<Status> getStatus, Func<Metadata> getTrailers, Action dispose) : IDisposable
{
    public IClientStreamWriter<TRequest> RequestStream { get; } = requestStream;
    public Task<TResponse> ResponseAsync { get; } = responseAsync;
    public Task<Metadata> ResponseHeadersAsync { get; } = responseHeadersAsync;
    public TaskAwaiter<TResponse> GetAwaiter() => ResponseAsync.GetAwaiter();
    public Status GetStatus() => getStatus();
    public Metadata GetTrailers() => getTrailers();
    public void Dispose() => dispose();
}

/// <summary>A server-streaming call in flight: read <see cref="ResponseStream"/> until it ends.</summary>
public sealed class AsyncServerStreamingCall<TResponse>(
    IAsyncStreamReader<TResponse> responseStream, Task<Metadata> responseHeadersAsync,
    Func<Status> getStatus, Func<Metadata> getTrailers, Action dispose) : IDisposable
{
    public IAsyncStreamReader<TResponse> ResponseStream { get; } = responseStream;
    public Task<Metadata> ResponseHeadersAsync { get; } = responseHeadersAsync;
    public Status GetStatus() => getStatus();
    public Metadata GetTrailers() => getTrailers();
    public void Dispose() => dispose();
}
