using AgentOps.Protos.V1;
using AgentOps.Protos.Wire;

namespace AgentOps.Protos.Queue;

/// <summary>
/// A trajectory as it arrived on the wire: <see cref="Bytes"/> is a protobuf encoding of a Trajectory with id
/// <see cref="TrajectoryId"/> (the sender's, so it may carry fields this build does not know). The gateway reads what it
/// validates straight from the bytes without building the message, and a queue that stores bytes stores these as they are.
/// </summary>
/// <param name="TrajectoryId">The trajectory_id <paramref name="Bytes"/> hold (read from them, e.g. by TrajectoryWireReader).</param>
public readonly record struct SerializedTrajectory(string TrajectoryId, byte[] Bytes)
{
    /// <summary>A parse of <see cref="Bytes"/> (each call parses again).</summary>
    public Trajectory Message => TrajectoryWireParser.Parse(Bytes);

    /// <summary>Serializes <paramref name="message"/> (for callers that hold only the message).</summary>
    public static SerializedTrajectory Of(Trajectory message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(message.TrajectoryId, TrajectoryWireWriter.ForCurrentThread.ToByteArray(message));
    }
}
