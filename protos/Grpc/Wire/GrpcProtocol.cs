namespace AgentOps.Protos.Grpc;

/// <summary>Header names and constants of the gRPC over HTTP/2 protocol (grpc/doc/PROTOCOL-HTTP2.md).</summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusTrailer = "grpc-status";
    public const string MessageTrailer = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string IdentityEncoding = "identity";
    public const string UserAgent = "agentops-grpc/1.0";
    public const int HeaderSize = 5;

    /// <summary>Default receive limit, as in grpc-core and grpc-dotnet.</summary>
    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>Headers that belong to the protocol, not to the application's metadata.</summary>
    public static bool IsReservedHeader(string key) =>
        key.Length == 0 || key[0] == ':' || key is "content-type" or "te" or "host" or "content-length"
            or TimeoutHeader or EncodingHeader or AcceptEncodingHeader or StatusTrailer or MessageTrailer
            or "grpc-status-details-bin";

    public static bool IsGrpcContentType(string? contentType) =>
        contentType != null && contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase)
        && (contentType.Length == ContentType.Length || contentType[ContentType.Length] is '+' or ';');

    /// <summary>HTTP status to gRPC code when a response carries no grpc-status (grpc/doc/http-grpc-status-mapping.md).</summary>
    public static StatusCode FromHttpStatus(int httpStatus) => httpStatus switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };
}
