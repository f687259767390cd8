using AgentOps.Protos.V1;

namespace AgentOps.Queue.Ingest;

/// <summary>One trajectory as the gateway received it: what validation needs (read from a parse of its bytes) and the
/// bytes to store as they arrived.</summary>
public sealed record ReceivedTrajectory(TrajectorySummary Summary, SerializedTrajectory Serialized)
{
    /// <summary>Parses <paramref name="bytes"/> (owned by the caller from now on) with TrajectoryWireParser (Google.Protobuf's
    /// result); throws InvalidProtocolBufferException when they are not a Trajectory.</summary>
    public static ReceivedTrajectory Read(ReadOnlyMemory<byte> bytes)
    {
        var summary = TrajectorySummary.Of(Protos.Wire.TrajectoryWireParser.Parse(bytes.Span));
        return new(summary, new SerializedTrajectory(summary.TrajectoryId, bytes));
    }
}
