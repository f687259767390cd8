namespace AgentOps.Protos.Grpc;

/// <summary>The outcome of a call: a code and a human-readable detail (Grpc.Core's <c>Status</c>).</summary>
public readonly record struct Status(StatusCode StatusCode, string Detail)
{
    public static readonly Status DefaultSuccess = new(StatusCode.OK, "");
    public static readonly Status DefaultCancelled = new(StatusCode.Cancelled, "");

    /// <summary>The exception that caused the status on this side, if any; never sent on the wire.</summary>
    public Exception? DebugException { get; init; }

    public Status(StatusCode statusCode, string detail, Exception? debugException) : this(statusCode, detail) =>
        DebugException = debugException;

    public override string ToString() => $"Status(StatusCode=\"{StatusCode}\", Detail=\"{Detail}\")";
}
