using AgentOps.Protos.V1;
using Grpc.Core;

namespace AgentOps.Queue.Ingest;

/// <summary>
/// TrajectoryIngest's methods as the gateway hosts them: the paths and wire format of trajectory.proto (what Grpc.Tools
/// generates for the client), with request marshallers that keep each trajectory's bytes, so it is validated from a parse
/// and stored as it arrived instead of serialized again. Each frame is copied once out of grpc-dotnet's pooled buffer
/// (<c>PayloadAsNewBuffer</c>) before anything can outlive the call.
/// </summary>
public static class IngestMethods
{
    public const string ServiceName = "agentops.v1.TrajectoryIngest";

    private static readonly Marshaller<PushAck> AckMarshaller = new(
        (ack, context) =>
        {
            context.SetPayloadLength(ack.CalculateSize());
            Google.Protobuf.MessageExtensions.WriteTo(ack, context.GetBufferWriter());
            context.Complete();
        },
        context => PushAck.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    public static readonly Method<ReceivedTrajectory, PushAck> Push = new(
        MethodType.ClientStreaming, ServiceName, "Push",
        new Marshaller<ReceivedTrajectory>((t, context) => context.Complete(t.Serialized.Bytes.ToArray()), context => ReceivedTrajectory.Read(context.PayloadAsNewBuffer())),
        AckMarshaller);

    public static readonly Method<ReceivedBatch, PushAck> PushBatches = new(
        MethodType.ClientStreaming, ServiceName, "PushBatches",
        new Marshaller<ReceivedBatch>((b, context) => context.Complete(b.ToByteArray()), context => ReceivedBatch.Read(context.PayloadAsNewBuffer())),
        AckMarshaller);

    /// <summary>
    /// What the gateway's service implements. grpc-dotnet's <c>MapGrpcService</c> calls <see cref="BindService"/> with a null
    /// service and binds each method to the override of the handler of that name declared here, as for generated bases.
    /// </summary>
    [BindServiceMethod(typeof(ServiceBase), nameof(BindService))]
    public abstract class ServiceBase
    {
        public abstract Task<PushAck> Push(IAsyncStreamReader<ReceivedTrajectory> requestStream, ServerCallContext context);

        public abstract Task<PushAck> PushBatches(IAsyncStreamReader<ReceivedBatch> requestStream, ServerCallContext context);

        public static void BindService(ServiceBinderBase binder, ServiceBase? service)
        {
            binder.AddMethod(IngestMethods.Push, service is null ? null : new ClientStreamingServerMethod<ReceivedTrajectory, PushAck>(service.Push));
            binder.AddMethod(IngestMethods.PushBatches, service is null ? null : new ClientStreamingServerMethod<ReceivedBatch, PushAck>(service.PushBatches));
        }
    }
}
