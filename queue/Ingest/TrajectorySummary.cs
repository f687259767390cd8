using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;

namespace AgentOps.Queue.Ingest;

/// <summary>
/// What <see cref="TrajectoryValidator"/> reads of a trajectory: its ids, run and environment, and the first segment that
/// breaks a rule of trajectory.proto. Built from a parsed message (<see cref="Of"/>) or straight from the wire bytes
/// (a parse of the bytes the gateway received).
/// </summary>
public readonly record struct TrajectorySummary(string TrajectoryId, string RunId, string EpisodeId, string Environment, SegmentProblem? FirstSegmentProblem)
{
    public static TrajectorySummary Of(Trajectory t)
    {
        SegmentProblem? problem = null;
        for (var i = 0; i < t.Segments.Count && problem is null; i++)
        {
            var s = t.Segments[i];
            problem = SegmentProblem.OfCounts(i, s.Kind, s.TokenIds.Count, s.Logprobs.Count, s.LossMask.Length);
            for (var j = 0; j < s.TokenIds.Count && problem is null; j++)
                if (SegmentProblem.OutOfVocabulary(s.TokenIds[j]))
                    problem = SegmentProblem.TokenOutOfRange(i, s.Kind, s.TokenIds.Count, s.Logprobs.Count, s.LossMask.Length, j, s.TokenIds[j]);
        }
        return new(t.TrajectoryId, t.RunId, t.EpisodeId, t.Environment, problem);
    }
}

public enum SegmentRule
{
    /// <summary>loss_mask has not one byte per token id.</summary>
    LossMaskLength,
    /// <summary>A GENERATED segment has not one log-prob per token id.</summary>
    GeneratedLogprobs,
    /// <summary>A segment of another kind carries log-probs.</summary>
    UnexpectedLogprobs,
    /// <summary>A token id outside [0, ByteTokenizer.VocabSize).</summary>
    TokenOutOfRange,
}

/// <summary>The first rule segment <paramref name="Index"/> breaks, with the counts it has (and the bad token for <see cref="SegmentRule.TokenOutOfRange"/>).</summary>
public readonly record struct SegmentProblem(int Index, SegmentRule Rule, SegmentKind Kind, int TokenIds, int Logprobs, int LossMaskBytes, int TokenIndex = -1, int TokenId = 0)
{
    /// <summary>The length rules, checked in this order (the token range comes after them).</summary>
    public static SegmentProblem? OfCounts(int index, SegmentKind kind, int tokenIds, int logprobs, int lossMaskBytes)
    {
        if (lossMaskBytes != tokenIds) return new(index, SegmentRule.LossMaskLength, kind, tokenIds, logprobs, lossMaskBytes);
        var generated = kind == SegmentKind.Generated;
        if (generated && logprobs != tokenIds) return new(index, SegmentRule.GeneratedLogprobs, kind, tokenIds, logprobs, lossMaskBytes);
        if (!generated && logprobs != 0) return new(index, SegmentRule.UnexpectedLogprobs, kind, tokenIds, logprobs, lossMaskBytes);
        return null;
    }

    public static bool OutOfVocabulary(int tokenId) => (uint)tokenId >= ByteTokenizer.VocabSize;

    public static SegmentProblem TokenOutOfRange(int index, SegmentKind kind, int tokenIds, int logprobs, int lossMaskBytes, int tokenIndex, int tokenId) =>
        new(index, SegmentRule.TokenOutOfRange, kind, tokenIds, logprobs, lossMaskBytes, tokenIndex, tokenId);
}
