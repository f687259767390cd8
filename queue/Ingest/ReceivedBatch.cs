using Google.Protobuf;

namespace AgentOps.Queue.Ingest;

/// <summary>
/// One TrajectoryBatch message of a PushBatches stream, read without re-serializing anything: each field 1
/// (trajectory.proto: a Trajectory, length-delimited) is sliced out of the frame's bytes and parsed for validation, and the
/// slice is what gets stored. Fields this build does not know are skipped, as a parser would.
/// </summary>
public sealed record ReceivedBatch(IReadOnlyList<ReceivedTrajectory> Trajectories)
{
    private const uint TrajectoriesTag = 10; // field 1, wire type 2 (length-delimited)

    /// <summary>Reads <paramref name="frame"/> (owned from now on: the slices point into it). Throws
    /// InvalidProtocolBufferException (or InvalidDataException for a length past the end) when it is not a TrajectoryBatch.</summary>
    public static ReceivedBatch Read(byte[] frame)
    {
        var trajectories = new List<ReceivedTrajectory>();
        var offset = 0;
        while (offset < frame.Length)
        {
            // Position is absolute in the array; a stream per field because CodedInputStream cannot skip raw bytes.
            var input = new CodedInputStream(frame, offset, frame.Length - offset);
            var tag = input.ReadTag();
            if (tag != TrajectoriesTag)
            {
                input.SkipLastField();
                offset = (int)input.Position;
                continue;
            }
            var length = input.ReadLength();
            var start = (int)input.Position;
            if (length > frame.Length - start)
                throw new InvalidDataException($"TrajectoryBatch.trajectories[{trajectories.Count}]: length {length} runs past the end of the {frame.Length}-byte message");
            trajectories.Add(ReceivedTrajectory.Read(new ReadOnlyMemory<byte>(frame, start, length)));
            offset = start + length;
        }
        return new ReceivedBatch(trajectories);
    }

    /// <summary>The encoding of a TrajectoryBatch holding these trajectories' bytes (tests and clients of this method).</summary>
    public byte[] ToByteArray()
    {
        var size = Trajectories.Sum(t => 1 + CodedOutputStream.ComputeLengthSize(t.Serialized.Bytes.Length) + t.Serialized.Bytes.Length);
        var bytes = new byte[size];
        var output = new CodedOutputStream(bytes);
        foreach (var t in Trajectories)
        {
            output.WriteTag(TrajectoriesTag);
            output.WriteBytes(ByteString.CopyFrom(t.Serialized.Bytes.Span));
        }
        output.Flush();
        return bytes;
    }
}
