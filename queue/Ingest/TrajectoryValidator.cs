using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using Google.Protobuf;

namespace AgentOps.Queue.Ingest;

/// <summary>A reason a trajectory was refused: a low-cardinality metric label and a message naming field and value.</summary>
public readonly record struct ValidationError(string Reason, string Message);

/// <summary>
/// The rules of trajectory.proto the gateway enforces before anything reaches the trainer: ids, run, environment,
/// and per segment the token / log-prob / loss-mask lengths that must agree.
/// </summary>
public static class TrajectoryValidator
{
    public static ValidationError? Validate(Trajectory t, IngestOptions options) => Validate(t, t.CalculateSize(), options);

    /// <param name="size">The serialized size: of the bytes as received, when the trajectory came over the wire.</param>
    public static ValidationError? Validate(Trajectory t, int size, IngestOptions options) => Validate(TrajectorySummary.Of(t), size, options);

    /// <param name="size">The serialized size: of the bytes as received, when the trajectory came over the wire.</param>
    public static ValidationError? Validate(in TrajectorySummary t, int size, IngestOptions options)
    {
        if (size > options.MaxTrajectoryBytes)
            return new("too_large", $"trajectory \"{t.TrajectoryId}\": {size} bytes is over the limit of {options.MaxTrajectoryBytes} bytes");
        if (string.IsNullOrEmpty(t.TrajectoryId))
            return new("empty_id", $"trajectory_id: must not be empty (episode_id \"{t.EpisodeId}\"); it is the idempotency key");
        if (t.RunId != options.RunId)
            return new("run_mismatch", $"run_id: expected \"{options.RunId}\", got \"{t.RunId}\" (trajectory \"{t.TrajectoryId}\")");
        if (string.IsNullOrEmpty(t.Environment))
            return new("unknown_environment", $"environment: must not be empty (trajectory \"{t.TrajectoryId}\")");
        if (options.KnownEnvironments is { } known && !known.Contains(t.Environment))
            return new("unknown_environment", $"environment: unknown environment \"{t.Environment}\" (known: {string.Join(", ", known.Order())}; trajectory \"{t.TrajectoryId}\")");
        if (t.FirstSegmentProblem is not { } p) return null;
        var field = $"segments[{p.Index}]";
        return p.Rule switch
        {
            SegmentRule.LossMaskLength => new("length_mismatch", $"{field}.loss_mask: has {p.LossMaskBytes} bytes for {p.TokenIds} token_ids (trajectory \"{t.TrajectoryId}\")"),
            SegmentRule.GeneratedLogprobs => new("length_mismatch", $"{field}.logprobs: has {p.Logprobs} values for {p.TokenIds} token_ids of a GENERATED segment (trajectory \"{t.TrajectoryId}\")"),
            SegmentRule.UnexpectedLogprobs => new("length_mismatch", $"{field}.logprobs: has {p.Logprobs} values on a {p.Kind} segment, expected none (trajectory \"{t.TrajectoryId}\")"),
            _ => new("token_out_of_range", $"{field}.token_ids[{p.TokenIndex}]: {p.TokenId} is outside the vocabulary [0, {ByteTokenizer.VocabSize}) (trajectory \"{t.TrajectoryId}\")"),
        };
    }
}
