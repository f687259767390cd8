using AgentOps.Protos.Grpc;

namespace AgentOps.Protos.Testing;

/// <summary>Descriptors and a reference server for interop.proto (transport tests and benchmarks only).</summary>
public static class Interop
{
    public const string ServiceName = "agentops.testing.Interop";
    private static readonly Marshaller<Payload> PayloadMarshaller = Marshallers.ForProtobuf(Payload.Parser);

    public static readonly Method<Payload, Payload> EchoMethod = new(MethodType.Unary, ServiceName, "Echo", PayloadMarshaller, PayloadMarshaller);
    public static readonly Method<Payload, Summary> CollectMethod = new(MethodType.ClientStreaming, ServiceName, "Collect", PayloadMarshaller, Marshallers.ForProtobuf(Summary.Parser));
    public static readonly Method<ExpandRequest, Payload> ExpandMethod = new(MethodType.ServerStreaming, ServiceName, "Expand", Marshallers.ForProtobuf(ExpandRequest.Parser), PayloadMarshaller);
    public static readonly Method<FailRequest, Payload> FailMethod = new(MethodType.Unary, ServiceName, "Fail", Marshallers.ForProtobuf(FailRequest.Parser), PayloadMarshaller);
    public static readonly Method<Payload, Payload> SleepMethod = new(MethodType.Unary, ServiceName, "Sleep", PayloadMarshaller, PayloadMarshaller);

    /// <summary>The same behaviour as tests/interop/peer.py's server.</summary>
    public static ServerServiceDefinition BindReferenceService() =>
        ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethod, async (request, context) =>
            {
                var headers = new Metadata();
                foreach (var e in context.RequestHeaders.Where(e => e.Key.StartsWith("x-echo", StringComparison.Ordinal)))
                {
                    headers.Add(e);
                    context.ResponseTrailers.Add(e.IsBinary ? new Metadata.Entry(e.Key[..^4] + "-t-bin", e.ValueBytes) : new Metadata.Entry(e.Key + "-t", e.Value));
                }
                if (headers.Count > 0) await context.WriteResponseHeadersAsync(headers);
                return request;
            })
            .AddMethod(CollectMethod, async (requests, context) =>
            {
                var summary = new Summary { InOrder = true };
                while (await requests.MoveNext(context.CancellationToken))
                {
                    if (requests.Current.Index != summary.Count) summary.InOrder = false;
                    summary.Count++;
                    summary.TotalBytes += requests.Current.Body.Length;
                }
                return summary;
            })
            .AddMethod(ExpandMethod, async (request, responses, context) =>
            {
                var body = Google.Protobuf.ByteString.CopyFrom(new byte[request.Size]);
                for (var i = 0; i < request.Count; i++)
                    await responses.WriteAsync(new Payload { Index = i, Body = body });
            })
            .AddMethod(FailMethod, (request, _) =>
                throw new RpcException(new Status((StatusCode)request.Code, request.Message)))
            .AddMethod(SleepMethod, async (request, context) =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(request.Index), context.CancellationToken);
                return request;
            })
            .Build();

    public sealed class InteropClient(GrpcChannel channel)
    {
        public AsyncUnaryCall<Payload> EchoAsync(Payload request, CallOptions options = default) => channel.AsyncUnaryCall(EchoMethod, options, request);
        public AsyncClientStreamingCall<Payload, Summary> Collect(CallOptions options = default) => channel.AsyncClientStreamingCall(CollectMethod, options);
        public AsyncServerStreamingCall<Payload> Expand(ExpandRequest request, CallOptions options = default) => channel.AsyncServerStreamingCall(ExpandMethod, options, request);
        public AsyncUnaryCall<Payload> FailAsync(FailRequest request, CallOptions options = default) => channel.AsyncUnaryCall(FailMethod, options, request);
        public AsyncUnaryCall<Payload> SleepAsync(Payload request, CallOptions options = default) => channel.AsyncUnaryCall(SleepMethod, options, request);
    }
}
