using AgentOps.Protos.Grpc;
using AgentOps.Protos.Ingest;
using AgentOps.Protos.Wire;

namespace AgentOps.Protos.V1;

/// <summary>
/// Hand-written equivalent of what Grpc.Tools would generate for <c>agentops.v1.TrajectoryIngest</c>
/// (trajectory.proto) — same names and shapes, so grpc-dotnet's generated code could replace it.
/// </summary>
public static class TrajectoryIngest
{
    public const string ServiceName = "agentops.v1.TrajectoryIngest";

    public static readonly Method<Trajectory, PushAck> PushMethod = new(
        MethodType.ClientStreaming, ServiceName, "Push",
        TrajectoryMarshaller.Create(), Marshallers.ForProtobuf(PushAck.Parser));

    /// <summary>
    /// What the server hosts for Push (not in Grpc.Tools' output): the same path and wire format as <see cref="PushMethod"/>,
    /// each request read as its bytes and what validation needs of them (<see cref="TrajectoryWireReader"/>: no message is
    /// built), so the gateway validates and stores the bytes as they arrived. Bytes a parse would refuse fail the read.
    /// </summary>
    public static readonly Method<ReceivedTrajectory, PushAck> PushSerializedMethod = new(
        MethodType.ClientStreaming, ServiceName, "Push",
        Marshallers.ForBytesRead(ReceivedTrajectory.Read, t => t.Serialized.Bytes),
        Marshallers.ForProtobuf(PushAck.Parser));

    /// <summary>Server side: override <see cref="Push"/> (or <see cref="PushSerialized"/>), host it with <see cref="BindService"/>.</summary>
    public abstract class TrajectoryIngestBase
    {
        public virtual Task<PushAck> Push(IAsyncStreamReader<Trajectory> requestStream, ServerCallContext context) =>
            throw new RpcException(new Status(StatusCode.Unimplemented, $"{ServiceName}/Push is not implemented"));

        /// <summary>The hosted handler; by default hands the parsed messages to <see cref="Push"/>.</summary>
        public virtual Task<PushAck> PushSerialized(IAsyncStreamReader<ReceivedTrajectory> requestStream, ServerCallContext context) =>
            Push(new MessageReader(requestStream), context);

        private sealed class MessageReader(IAsyncStreamReader<ReceivedTrajectory> inner) : IAsyncStreamReader<Trajectory>
        {
            public Trajectory Current => inner.Current.Serialized.Message;

            public Task<bool> MoveNext(CancellationToken cancellationToken) => inner.MoveNext(cancellationToken);
        }
    }

    public static ServerServiceDefinition BindService(TrajectoryIngestBase serviceImpl) =>
        ServerServiceDefinition.CreateBuilder()
            .AddMethod(PushSerializedMethod, (ClientStreamingServerMethod<ReceivedTrajectory, PushAck>)serviceImpl.PushSerialized)
            .Build();

    /// <summary>Client side: <c>new TrajectoryIngest.TrajectoryIngestClient(GrpcChannel.ForAddress(url))</c>.</summary>
    public class TrajectoryIngestClient(GrpcChannel channel)
    {
        public GrpcChannel Channel { get; } = channel;

        public virtual AsyncClientStreamingCall<Trajectory, PushAck> Push(Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
            Push(new CallOptions(headers, deadline, cancellationToken));

        public virtual AsyncClientStreamingCall<Trajectory, PushAck> Push(CallOptions options) =>
            Channel.AsyncClientStreamingCall(PushMethod, options);
    }
}
