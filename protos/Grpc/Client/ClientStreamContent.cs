using System.Net;

namespace AgentOps.Protos.Grpc;

/// <summary>
/// The request body of a client stream: HttpClient hands us its HTTP/2 stream in
/// <see cref="SerializeToStreamAsync(Stream, TransportContext?, CancellationToken)"/> and we keep it open
/// (writing from <see cref="ClientStreamWriter{TRequest,TResponse}"/>) until the stream is completed.
/// </summary>
internal sealed class ClientStreamContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<Stream> StreamTask => _stream.Task;

    /// <summary>Ends the request body (END_STREAM).</summary>
    public void Complete() => _done.TrySetResult();

    public void Fail(Exception e)
    {
        _stream.TrySetException(e);
        _done.TrySetException(e);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _stream.TrySetResult(stream);
        await using (cancellationToken.Register(() => _done.TrySetCanceled(cancellationToken)))
            await _done.Task.ConfigureAwait(false);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
