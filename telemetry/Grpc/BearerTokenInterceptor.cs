using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace AgentOps.Telemetry.Grpc;

/// <summary>
/// The "authorization: Bearer TOKEN" check before every call of the service it is added to: missing header →
/// UNAUTHENTICATED, another token → PERMISSION_DENIED (grpc's auth status codes), compared in constant time.
/// <c>GrpcService.Of(service, o => o.Interceptors.Add&lt;BearerTokenInterceptor&gt;(token, onRejected))</c>.
/// </summary>
public sealed class BearerTokenInterceptor(string token, Action<Status, ServerCallContext>? onRejected = null) : Interceptor
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(token);

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        Status? refused = null;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length == 7)
            refused = new Status(StatusCode.Unauthenticated, "missing request header 'authorization: Bearer <token>'");
        else if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[7..].Trim()), _expected))
            refused = new Status(StatusCode.PermissionDenied, "the bearer token is not valid for this service");
        if (refused is not { } status) return;
        onRejected?.Invoke(status, context);
        throw new RpcException(status);
    }
}
