using AgentOps.Protos.Grpc;

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

    /// <summary>Server side: override <see cref="Push"/>, host it with <see cref="BindService"/>.</summary>
    public abstract class TrajectoryIngestBase
    {
        public virtual Task<PushAck> Push(IAsyncStreamReader<Trajectory> requestStream, ServerCallContext context) =>
            throw new RpcException(new Status(StatusCode.Unimplemented, $"{ServiceName}/Push is not implemented"));
    }

    public static ServerServiceDefinition BindService(TrajectoryIngestBase serviceImpl) =>
        ServerServiceDefinition.CreateBuilder()
            .AddMethod(PushMethod, (ClientStreamingServerMethod<Trajectory, PushAck>)serviceImpl.Push)
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
