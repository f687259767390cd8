namespace AgentOps.Protos.Grpc;

public delegate Task<TResponse> UnaryServerMethod<TRequest, TResponse>(TRequest request, ServerCallContext context);
public delegate Task<TResponse> ClientStreamingServerMethod<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context);
public delegate Task ServerStreamingServerMethod<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context);
public delegate Task DuplexStreamingServerMethod<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context);

/// <summary>A service's methods bound to their handlers (Grpc.Core's <c>ServerServiceDefinition</c>).</summary>
public sealed class ServerServiceDefinition
{
    private ServerServiceDefinition(IReadOnlyList<ServerMethod> methods) => Methods = methods;

    internal IReadOnlyList<ServerMethod> Methods { get; }

    public static Builder CreateBuilder() => new();

    public sealed class Builder
    {
        private readonly List<ServerMethod> _methods = [];

        public Builder AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler) =>
            Add(new UnaryServerMethodBinding<TRequest, TResponse>(method, handler));

        public Builder AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler) =>
            Add(new ClientStreamingServerMethodBinding<TRequest, TResponse>(method, handler));

        public Builder AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler) =>
            Add(new ServerStreamingServerMethodBinding<TRequest, TResponse>(method, handler));

        public Builder AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse> handler) =>
            Add(new DuplexStreamingServerMethodBinding<TRequest, TResponse>(method, handler));

        public ServerServiceDefinition Build() => new(_methods.ToArray());

        private Builder Add(ServerMethod method)
        {
            if (_methods.Any(m => m.Path == method.Path)) throw new ArgumentException($"method {method.Path} is added twice");
            _methods.Add(method);
            return this;
        }
    }
}
