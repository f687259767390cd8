using AgentOps.Protos.V1;
using Google.Protobuf;

namespace AgentOps.Queue;

/// <summary>
/// A trajectory as it arrived on the wire: <see cref="Bytes"/> is a protobuf encoding of a Trajectory with id
/// <see cref="TrajectoryId"/> (the sender's, so it may carry fields this build does not know). A queue that stores bytes
/// stores these as they are, without serializing the message again.
/// </summary>
/// <param name="TrajectoryId">The trajectory_id <paramref name="Bytes"/> hold.</param>
/// <param name="Bytes">Owned by this value: never a pooled buffer (the gateway copies each gRPC frame once).</param>
public readonly record struct SerializedTrajectory(string TrajectoryId, ReadOnlyMemory<byte> Bytes)
{
    /// <summary>A parse of <see cref="Bytes"/> (each call parses again).</summary>
    public Trajectory Message => Protos.Wire.TrajectoryWireParser.Parse(Bytes.Span);

    /// <summary>Serializes <paramref name="message"/> (for callers that hold only the message).</summary>
    public static SerializedTrajectory Of(Trajectory message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(message.TrajectoryId, message.ToByteArray());
    }
}
