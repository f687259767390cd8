using AgentOps.Protos.V1;
using Google.Protobuf;

namespace AgentOps.Queue.Tests;

/// <summary>Test trajectories of a given size (one generated segment padded to the size), seeded.</summary>
internal static class Trajectories
{
    public static Trajectory Make(string id, int tokens = 16, string run = "contract")
    {
        var rng = new Random(id.GetHashCode(StringComparison.Ordinal));
        var segment = new Segment { Kind = SegmentKind.Generated, PolicyVersion = 1 };
        for (var i = 0; i < tokens; i++)
        {
            segment.TokenIds.Add(rng.Next(0, 256));
            segment.Logprobs.Add(-(float)rng.NextDouble());
        }
        segment.LossMask = ByteString.CopyFrom(Enumerable.Repeat((byte)1, tokens).ToArray());
        var t = new Trajectory { TrajectoryId = id, RunId = run, EpisodeId = "ep-" + id, Environment = "arithmetic", Split = "train" };
        t.Segments.Add(segment);
        return t;
    }
}
