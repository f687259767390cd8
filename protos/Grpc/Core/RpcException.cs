namespace AgentOps.Protos.Grpc;

/// <summary>A call that ended with a non-OK status (Grpc.Core's <c>RpcException</c>).
/// Thrown by a server handler, it becomes the call's status and trailers.</summary>
public sealed class RpcException : Exception
{
    public RpcException(Status status) : this(status, new Metadata(), status.ToString()) { }

    public RpcException(Status status, string message) : this(status, new Metadata(), message) { }

    public RpcException(Status status, Metadata trailers) : this(status, trailers, status.ToString()) { }

    public RpcException(Status status, Metadata trailers, string message) : base(message, status.DebugException)
    {
        Status = status;
        Trailers = trailers;
    }

    public Status Status { get; }
    public StatusCode StatusCode => Status.StatusCode;
    public Metadata Trailers { get; }
}
