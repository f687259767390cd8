using Google.Protobuf;
using Grpc.Core;

namespace AgentOps.Testing.Interop;

/// <summary>The reference server of interop.proto, with the same behaviour as tests/interop/peer.py's server.</summary>
public sealed class InteropService : Interop.InteropBase
{
    public override async Task<Payload> Echo(Payload request, ServerCallContext context)
    {
        var headers = new Metadata();
        foreach (var e in context.RequestHeaders.Where(e => e.Key.StartsWith("x-echo", StringComparison.Ordinal)))
        {
            headers.Add(e);
            context.ResponseTrailers.Add(e.IsBinary ? new Metadata.Entry(e.Key[..^4] + "-t-bin", e.ValueBytes) : new Metadata.Entry(e.Key + "-t", e.Value));
        }
        if (headers.Count > 0) await context.WriteResponseHeadersAsync(headers);
        return request;
    }

    public override async Task<Summary> Collect(IAsyncStreamReader<Payload> requestStream, ServerCallContext context)
    {
        var summary = new Summary { InOrder = true };
        await foreach (var p in requestStream.ReadAllAsync(context.CancellationToken))
        {
            if (p.Index != summary.Count) summary.InOrder = false;
            summary.Count++;
            summary.TotalBytes += p.Body.Length;
        }
        return summary;
    }

    public override async Task Expand(ExpandRequest request, IServerStreamWriter<Payload> responseStream, ServerCallContext context)
    {
        var body = ByteString.CopyFrom(new byte[request.Size]);
        for (var i = 0; i < request.Count; i++) await responseStream.WriteAsync(new Payload { Index = i, Body = body });
    }

    public override Task<Payload> Fail(FailRequest request, ServerCallContext context) =>
        throw new RpcException(new Status((StatusCode)request.Code, request.Message));

    public override async Task<Payload> Sleep(Payload request, ServerCallContext context)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(request.Index), context.CancellationToken);
        return request;
    }

    public override async Task Chat(IAsyncStreamReader<Payload> requestStream, IServerStreamWriter<Payload> responseStream, ServerCallContext context)
    {
        await foreach (var p in requestStream.ReadAllAsync(context.CancellationToken))
            await responseStream.WriteAsync(Answer(p));
    }

    /// <summary>What Chat answers to <paramref name="p"/> (both reference servers).</summary>
    public static Payload Answer(Payload p) =>
        new() { Index = p.Index, Text = p.Text.ToUpperInvariant(), Body = ByteString.CopyFrom(p.Body.Span.ToArray().Reverse().ToArray()) };
}
