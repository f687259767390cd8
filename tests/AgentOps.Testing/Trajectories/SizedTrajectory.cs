using AgentOps.Protos.V1;
using Google.Protobuf;

namespace AgentOps.Testing.Trajectories;

/// <summary>Trajectories whose serialized size is a given number of bytes (for benchmarks: 4 KiB, 64 KiB).</summary>
public static class SizedTrajectory
{
    /// <summary>One GENERATED segment (token ids below 128, log-probs, mask 1) padded so that
    /// <c>CalculateSize()</c> is exactly <paramref name="bytes"/> (for sizes of 512 and up).</summary>
    public static Trajectory Make(string id, int bytes, string run = "bench")
    {
        var t = new Trajectory { TrajectoryId = id, RunId = run, EpisodeId = "ep-" + id, Environment = "arithmetic", Split = "train" };
        var tokens = Math.Max(1, (bytes - 200) / 6); // a token costs 6 bytes: 1 varint id, 4 float log-prob, 1 mask byte
        var segment = new Segment { Kind = SegmentKind.Generated, PolicyVersion = 1 };
        for (var i = 0; i < tokens; i++)
        {
            segment.TokenIds.Add(i % 128);
            segment.Logprobs.Add(-0.5f);
        }
        segment.LossMask = ByteString.CopyFrom(Enumerable.Repeat((byte)1, tokens).ToArray());
        t.Segments.Add(segment);
        // Fill the rest with a label whose value length makes the total exact (the length varint may grow by a byte).
        t.Labels["pad"] = "";
        for (var pad = Math.Max(0, bytes - t.CalculateSize()); pad >= 0; pad--)
        {
            t.Labels["pad"] = new string('p', pad);
            if (t.CalculateSize() <= bytes) break;
        }
        return t;
    }
}
