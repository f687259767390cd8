using AgentOps.Protos.Grpc;
using AgentOps.Protos.Queue;

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
        Marshallers.ForProtobuf(Trajectory.Parser), Marshallers.ForProtobuf(PushAck.Parser));

    /// <summary>
    /// What the server hosts for Push (not in Grpc.Tools' output): the same path and wire format as <see cref="PushMethod"/>,
    /// with each request's bytes kept next to the parsed message, so the gateway can store them without serializing again.
    /// </summary>
    public static readonly Method<SerializedTrajectory, PushAck> PushSerializedMethod = new(
        MethodType.ClientStreaming, ServiceName, "Push",
        Marshallers.ForProtobufKeepingBytes(Trajectory.Parser, (message, bytes) => new SerializedTrajectory(message, bytes), t => t.Bytes),
        Marshallers.ForProtobuf(PushAck.Parser));

    /// <summary>Server side: override <see cref="Push"/> (or <see cref="PushSerialized"/>), host it with <see cref="BindService"/>.</summary>
    public abstract class TrajectoryIngestBase
    {
        public virtual Task<PushAck> Push(IAsyncStreamReader<Trajectory> requestStream, ServerCallContext context) =>
            throw new RpcException(new Status(StatusCode.Unimplemented, $"{ServiceName}/Push is not implemented"));

        /// <summary>The hosted handler; by default hands the parsed messages to <see cref="Push"/>.</summary>
        public virtual Task<PushAck> PushSerialized(IAsyncStreamReader<SerializedTrajectory> requestStream, ServerCallContext context) =>
            Push(new MessageReader(requestStream), context);

        private sealed class MessageReader(IAsyncStreamReader<SerializedTrajectory> inner) : IAsyncStreamReader<Trajectory>
        {
            public Trajectory Current => inner.Current.Message;

            public Task<bool> MoveNext(CancellationToken cancellationToken) => inner.MoveNext(cancellationToken);
        }
    }

    public static ServerServiceDefinition BindService(TrajectoryIngestBase serviceImpl) =>
        ServerServiceDefinition.CreateBuilder()
            .AddMethod(PushSerializedMethod, (ClientStreamingServerMethod<SerializedTrajectory, PushAck>)serviceImpl.PushSerialized)
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
