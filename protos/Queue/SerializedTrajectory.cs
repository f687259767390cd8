using AgentOps.Protos.V1;

namespace AgentOps.Protos.Queue;

/// <summary>
/// A trajectory as it arrived on the wire: <paramref name="Bytes"/> is a protobuf encoding of <paramref name="Message"/>
/// (the sender's, so it may carry fields this build does not know; a parse of it equals <paramref name="Message"/>).
/// The gateway parses to validate, and a queue that stores bytes stores these as they are instead of serializing again.
/// </summary>
public readonly record struct SerializedTrajectory(Trajectory Message, byte[] Bytes)
{
    /// <summary>Serializes <paramref name="message"/> (for callers that hold only the message).</summary>
    public static SerializedTrajectory Of(Trajectory message) => new(message, Google.Protobuf.MessageExtensions.ToByteArray(message));
}
