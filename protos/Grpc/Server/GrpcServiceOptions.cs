namespace AgentOps.Protos.Grpc;

/// <summary>Per-service server settings (grpc-dotnet's <c>GrpcServiceOptions</c>, plus an authorization hook).</summary>
public sealed class GrpcServiceOptions
{
    /// <summary>A larger request message is refused with RESOURCE_EXHAUSTED before its body is read.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxReceiveMessageSize;
    public int MaxSendMessageSize { get; set; } = int.MaxValue;

    /// <summary>Put the exception's type and message in the UNKNOWN status a failing handler produces.</summary>
    public bool EnableDetailedErrors { get; set; }

    /// <summary>Runs before every handler; a non-OK status ends the call with it. See <see cref="BearerTokenAuthorization"/>.</summary>
    public Func<ServerCallContext, ValueTask<Status>>? Authorize { get; set; }

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>The "authorization: Bearer TOKEN" check: missing → UNAUTHENTICATED, wrong → PERMISSION_DENIED.</summary>
public static class BearerTokenAuthorization
{
    public static Func<ServerCallContext, ValueTask<Status>> Require(string expectedToken)
    {
        var expected = System.Text.Encoding.UTF8.GetBytes(expectedToken);
        return context => ValueTask.FromResult(Check(context, expected));
    }

    public static Status Check(ServerCallContext context, ReadOnlySpan<byte> expectedToken)
    {
        var token = context.GetBearerToken();
        if (string.IsNullOrEmpty(token))
            return new Status(StatusCode.Unauthenticated, "missing request header 'authorization: Bearer <token>'");
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(token), expectedToken))
            return new Status(StatusCode.PermissionDenied, "the bearer token is not valid for this service");
        return Status.DefaultSuccess;
    }
}
