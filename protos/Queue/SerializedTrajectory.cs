using AgentOps.Protos.V1;

namespace AgentOps.Protos.Queue;

/// <summary>
/// A trajectory as it arrived on the wire: <see cref="Bytes"/> is a protobuf encoding of a Trajectory with id
/// <see cref="TrajectoryId"/> (the sender's, so it may carry fields this build does not know). The gateway reads what it
/// validates straight from the bytes without building the message, and a queue that stores bytes stores these as they are.
/// </summary>
public readonly record struct SerializedTrajectory
{
    private readonly Trajectory? _message;

    /// <param name="bytes">An encoding of <paramref name="message"/> (a parse of it equals the message).</param>
    public SerializedTrajectory(Trajectory message, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(message);
        _message = message;
        TrajectoryId = message.TrajectoryId;
        Bytes = bytes;
    }

    /// <param name="trajectoryId">The trajectory_id <paramref name="bytes"/> hold (read from them, e.g. by TrajectoryWireReader).</param>
    public SerializedTrajectory(string trajectoryId, byte[] bytes)
    {
        TrajectoryId = trajectoryId;
        Bytes = bytes;
    }

    public string TrajectoryId { get; }

    public byte[] Bytes { get; }

    /// <summary>The message: the one given, or else a parse of <see cref="Bytes"/> (each call parses again).</summary>
    public Trajectory Message => _message ?? Trajectory.Parser.ParseFrom(Bytes);

    /// <summary>Serializes <paramref name="message"/> (for callers that hold only the message).</summary>
    public static SerializedTrajectory Of(Trajectory message) => new(message, Google.Protobuf.MessageExtensions.ToByteArray(message));
}
