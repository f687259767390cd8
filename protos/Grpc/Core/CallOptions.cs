namespace AgentOps.Protos.Grpc;

/// <summary>Per-call options (Grpc.Core's <c>CallOptions</c>): request headers, a deadline (UTC), cancellation.</summary>
public readonly record struct CallOptions(Metadata? Headers = null, DateTime? Deadline = null, CancellationToken CancellationToken = default)
{
    public CallOptions WithHeaders(Metadata headers) => this with { Headers = headers };
    public CallOptions WithDeadline(DateTime deadline) => this with { Deadline = deadline };
    public CallOptions WithCancellationToken(CancellationToken cancellationToken) => this with { CancellationToken = cancellationToken };
}
