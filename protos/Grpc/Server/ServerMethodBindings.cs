namespace AgentOps.Protos.Grpc;

/// <summary>One method of a service definition: reads its requests, runs the handler, writes its responses.</summary>
internal abstract class ServerMethod(string path)
{
    public string Path { get; } = path;
    public abstract Task<ServerResult> InvokeAsync(ServerCall call);
}

/// <summary>A handler's single response (unary and client-streaming), written by the call after it returns.</summary>
internal readonly record struct ServerResult(Action<ServerCall>? WriteResponse)
{
    public static readonly ServerResult Streamed = new(null);
}

internal sealed class UnaryServerMethodBinding<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler)
    : ServerMethod(method.FullName)
{
    public override async Task<ServerResult> InvokeAsync(ServerCall call)
    {
        var request = await call.ReadSingleRequestAsync(method.RequestMarshaller).ConfigureAwait(false);
        var response = await handler(request, call.Context).ConfigureAwait(false);
        return new ServerResult(c => c.WriteMessage(response, method.ResponseMarshaller));
    }
}

internal sealed class ClientStreamingServerMethodBinding<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler)
    : ServerMethod(method.FullName)
{
    public override async Task<ServerResult> InvokeAsync(ServerCall call)
    {
        var response = await handler(new HttpRequestStreamReader<TRequest>(call, method.RequestMarshaller), call.Context).ConfigureAwait(false);
        return new ServerResult(c => c.WriteMessage(response, method.ResponseMarshaller));
    }
}

internal sealed class ServerStreamingServerMethodBinding<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler)
    : ServerMethod(method.FullName)
{
    public override async Task<ServerResult> InvokeAsync(ServerCall call)
    {
        var request = await call.ReadSingleRequestAsync(method.RequestMarshaller).ConfigureAwait(false);
        await handler(request, new HttpResponseStreamWriter<TResponse>(call, method.ResponseMarshaller), call.Context).ConfigureAwait(false);
        return ServerResult.Streamed;
    }
}

internal sealed class DuplexStreamingServerMethodBinding<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse> handler)
    : ServerMethod(method.FullName)
{
    public override async Task<ServerResult> InvokeAsync(ServerCall call)
    {
        await handler(new HttpRequestStreamReader<TRequest>(call, method.RequestMarshaller),
            new HttpResponseStreamWriter<TResponse>(call, method.ResponseMarshaller), call.Context).ConfigureAwait(false);
        return ServerResult.Streamed;
    }
}

internal sealed class HttpRequestStreamReader<T>(ServerCall call, Marshaller<T> marshaller) : IAsyncStreamReader<T>
{
    public T Current { get; private set; } = default!;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        var (has, message) = await call.ReadRequestAsync(marshaller, cancellationToken).ConfigureAwait(false);
        if (has) Current = message!;
        return has;
    }
}

internal sealed class HttpResponseStreamWriter<T>(ServerCall call, Marshaller<T> marshaller) : IServerStreamWriter<T>
{
    public Task WriteAsync(T message) => call.WriteStreamedMessageAsync(message, marshaller);
}
