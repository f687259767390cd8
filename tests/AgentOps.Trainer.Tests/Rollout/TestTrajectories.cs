using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using Google.Protobuf;

namespace AgentOps.Trainer.Tests.Rollout;

/// <summary>Builds wire trajectories the way the executor does: prompt, generated turns, interpreter output.</summary>
internal static class TestTrajectories
{
    public static Segment Prompt(string text) => Segment(SegmentKind.Prompt, text, 0, 0, null);

    public static Segment Generated(string text, int step, long version, float logprob = -0.5f) =>
        Segment(SegmentKind.Generated, text, step, version, logprob);

    public static Segment ToolOutput(string text, int step) => Segment(SegmentKind.ToolOutput, text, step, 0, null);

    public static Segment Segment(SegmentKind kind, string text, int step, long version, float? logprob)
    {
        var ids = ByteTokenizer.Encode(text);
        var seg = new Segment { Kind = kind, StepIndex = step, PolicyVersion = version };
        seg.TokenIds.AddRange(ids);
        var generated = kind == SegmentKind.Generated;
        seg.LossMask = ByteString.CopyFrom(Enumerable.Repeat(generated ? (byte)1 : (byte)0, ids.Length).ToArray());
        if (generated && logprob is { } lp) seg.Logprobs.AddRange(Enumerable.Repeat(lp, ids.Length));
        return seg;
    }

    public static Trajectory Episode(string id, string group, double reward, params Segment[] segments) =>
        Episode(id, group, reward, OutcomeStatus.Answered, segments);

    public static Trajectory Episode(string id, string group, double reward, OutcomeStatus status, params Segment[] segments)
    {
        var t = new Trajectory
        {
            TrajectoryId = id,
            GroupId = group,
            Split = "train",
            Reward = new Reward { Total = reward },
            Outcome = new Outcome { Status = status },
        };
        t.Segments.AddRange(segments);
        return t;
    }

    /// <summary>A one-turn episode sampled at <paramref name="version"/>.</summary>
    public static Trajectory Simple(string id, string group, double reward, long version = 0, OutcomeStatus status = OutcomeStatus.Answered) =>
        Episode(id, group, reward, status, Prompt("Q:1+1="), Generated("<answer>2</answer>", 0, version));
}
