using AgentOps.Protos.V1;

namespace AgentOps.Trainer.Rollout;

/// <summary>
/// Turns a <see cref="Trajectory"/> into a <see cref="PackedTrajectory"/>: segments concatenated, loss mask and
/// behaviour log-probs shifted onto target positions (verl's `response_mask`: 1 model, 0 tool).
/// </summary>
public static class TrajectoryPacker
{
    /// <param name="maxTokens">The model's context length; longer sequences keep their first maxTokens tokens.</param>
    public static PackedTrajectory Pack(Trajectory trajectory, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        var id = trajectory.TrajectoryId;
        var total = 0;
        for (var s = 0; s < trajectory.Segments.Count; s++)
        {
            var seg = trajectory.Segments[s];
            var n = seg.TokenIds.Count;
            if (seg.LossMask.Length != n)
                throw new InvalidTrajectoryException(id, $"segments[{s}].loss_mask: must have one byte per token ({n}), got {seg.LossMask.Length}");
            if (seg.Kind == SegmentKind.Generated && seg.Logprobs.Count != n && seg.Logprobs.Count != 0)
                throw new InvalidTrajectoryException(id, $"segments[{s}].logprobs: must have one value per token ({n}) or none, got {seg.Logprobs.Count}");
            if (seg.Kind != SegmentKind.Generated && seg.Logprobs.Count != 0)
                throw new InvalidTrajectoryException(id, $"segments[{s}].logprobs: must be empty for kind {seg.Kind}, got {seg.Logprobs.Count}");
            for (var i = 0; i < n; i++)
            {
                var tok = seg.TokenIds[i];
                if (tok is < 0 or >= Protos.Tokenization.ByteTokenizer.VocabSize)
                    throw new InvalidTrajectoryException(id, $"segments[{s}].token_ids[{i}]: must be in [0, {Protos.Tokenization.ByteTokenizer.VocabSize}), got {tok}");
                var m = seg.LossMask[i];
                if (m > 1) throw new InvalidTrajectoryException(id, $"segments[{s}].loss_mask[{i}]: must be 0 or 1, got {m}");
                if (m == 1 && seg.Kind != SegmentKind.Generated)
                    throw new InvalidTrajectoryException(id, $"segments[{s}].loss_mask[{i}]: must be 0 for kind {seg.Kind}, got 1");
            }
            total += n;
        }
        if (total < 2) throw new InvalidTrajectoryException(id, $"segments: need at least 2 tokens in total, got {total}");

        var length = Math.Min(total, maxTokens);
        var tokens = new int[length];
        var mask = new byte[length - 1];
        var logprobs = new float[length - 1];
        var versions = new long[length - 1];
        var steps = new int[length - 1];
        var oldest = long.MaxValue;
        var pos = 0;
        foreach (var seg in trajectory.Segments)
        {
            var hasLogprobs = seg.Logprobs.Count > 0;
            for (var i = 0; i < seg.TokenIds.Count && pos < length; i++, pos++)
            {
                tokens[pos] = seg.TokenIds[i];
                if (pos == 0) continue; // the first token is never a target
                var t = pos - 1;
                mask[t] = seg.LossMask[i];
                steps[t] = seg.StepIndex;
                if (seg.LossMask[i] == 1)
                {
                    logprobs[t] = hasLogprobs ? seg.Logprobs[i] : 0f;
                    versions[t] = seg.PolicyVersion;
                }
            }
            if (seg.Kind == SegmentKind.Generated && seg.TokenIds.Count > 0 && hasLogprobs)
                oldest = Math.Min(oldest, seg.PolicyVersion);
        }
        var reward = trajectory.Outcome?.Status.IsInfrastructureFailure() == true ? 0.0 : trajectory.Reward?.Total ?? 0.0;
        return new PackedTrajectory(id, trajectory.GroupId, tokens, mask, logprobs, versions, steps, reward,
            oldest == long.MaxValue ? -1 : oldest, total > maxTokens);
    }
}
