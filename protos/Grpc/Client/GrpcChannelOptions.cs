namespace AgentOps.Protos.Grpc;

/// <summary>Client channel settings (grpc-dotnet's <c>GrpcChannelOptions</c>).</summary>
public sealed class GrpcChannelOptions
{
    /// <summary>A larger response message fails the call with RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxReceiveMessageSize;
    public int MaxSendMessageSize { get; set; } = int.MaxValue;

    /// <summary>Replaces the default SocketsHttpHandler (e.g. to trust a test certificate).</summary>
    public HttpMessageHandler? HttpHandler { get; set; }
    public bool DisposeHttpHandler { get; set; } = true;

    /// <summary>Headers added to every call, e.g. "authorization: Bearer …".</summary>
    public Metadata? DefaultHeaders { get; set; }

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
