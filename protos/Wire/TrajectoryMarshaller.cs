using AgentOps.Protos.Grpc;
using AgentOps.Protos.V1;

namespace AgentOps.Protos.Wire;

/// <summary>Trajectories on a gRPC call: written by <see cref="TrajectoryWireWriter"/> (Google.Protobuf's bytes, faster), read by Google.Protobuf's parser.</summary>
internal static class TrajectoryMarshaller
{
    public static Marshaller<Trajectory> Create() => new(
        t => TrajectoryWireWriter.ForCurrentThread.Size(t),
        (t, span) => TrajectoryWireWriter.ForCurrentThread.Write(t, span), // right after Size on the same thread (GrpcFrames.Write)
        Trajectory.Parser.ParseFrom);
}
