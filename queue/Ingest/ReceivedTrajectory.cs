using AgentOps.Protos.Queue;

namespace AgentOps.Protos.Ingest;

/// <summary>One Push request as the gateway reads it: what validation needs, read from the frame's bytes, and the bytes to store.</summary>
public readonly record struct ReceivedTrajectory(TrajectorySummary Summary, SerializedTrajectory Serialized)
{
    /// <summary>Reads <paramref name="bytes"/> (the frame, owned by the caller from now on); throws InvalidProtocolBufferException where a parse would.</summary>
    public static ReceivedTrajectory Read(byte[] bytes)
    {
        var summary = TrajectoryWireReader.Read(bytes);
        return new(summary, new SerializedTrajectory(summary.TrajectoryId, bytes));
    }
}
