namespace AgentOps.Protos.Grpc;

internal sealed class ResponseStreamReader<TRequest, TResponse>(GrpcCall<TRequest, TResponse> call) : IAsyncStreamReader<TResponse>
{
    public TResponse Current { get; private set; } = default!;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        var (has, message) = await call.ReadMessageAsync(cancellationToken).ConfigureAwait(false);
        if (has)
        {
            Current = message!;
            return true;
        }
        var status = call.GetStatus();
        if (status.StatusCode != StatusCode.OK) throw new RpcException(status, call.GetTrailers());
        return false;
    }
}
