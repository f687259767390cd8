using AgentOps.Protos.Tokenization;

namespace AgentOps.Trainer.Rollout;

/// <summary>Pads packed trajectories into one <see cref="TrainingBatch"/>, one trajectory per row.</summary>
public static class BatchBuilder
{
    /// <param name="advantages">Per row, one value per target position (length row.Length); null = zeros.</param>
    /// <param name="returns">Per row, value targets per target position (PPO); null = zeros.</param>
    public static TrainingBatch Build(IReadOnlyList<PackedTrajectory> rows, IReadOnlyList<float[]>? advantages = null, IReadOnlyList<float[]>? returns = null)
    {
        if (rows.Count == 0) throw new ArgumentException("rows: need at least one trajectory, got 0", nameof(rows));
        if (advantages is not null && advantages.Count != rows.Count)
            throw new ArgumentException($"advantages: need one array per row ({rows.Count}), got {advantages.Count}", nameof(advantages));
        if (returns is not null && returns.Count != rows.Count)
            throw new ArgumentException($"returns: need one array per row ({rows.Count}), got {returns.Count}", nameof(returns));
        var columns = rows.Max(r => r.Length);
        var size = rows.Count * columns;
        var inputs = new int[size];
        var targets = new int[size];
        var mask = new float[size];
        var logprobs = new float[size];
        var adv = new float[size];
        var ret = new float[size];
        Array.Fill(inputs, ByteTokenizer.Pad);
        Array.Fill(targets, ByteTokenizer.Pad);
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            var a = advantages?[r];
            var g = returns?[r];
            if (a is not null && a.Length != row.Length)
                throw new ArgumentException($"advantages[{r}]: need {row.Length} values, got {a.Length}", nameof(advantages));
            if (g is not null && g.Length != row.Length)
                throw new ArgumentException($"returns[{r}]: need {row.Length} values, got {g.Length}", nameof(returns));
            var o = r * columns;
            for (var t = 0; t < row.Length; t++)
            {
                inputs[o + t] = row.Tokens[t];
                targets[o + t] = row.Tokens[t + 1];
                mask[o + t] = row.LossMask[t];
                logprobs[o + t] = row.BehaviourLogProbs[t];
                if (a is not null) adv[o + t] = row.LossMask[t] == 1 ? a[t] : 0f;
                if (g is not null) ret[o + t] = row.LossMask[t] == 1 ? g[t] : 0f;
            }
        }
        return new TrainingBatch(rows.Count, columns, inputs, targets, mask, logprobs, adv, ret) { RowLengths = [.. rows.Select(r => r.Length)] };
    }
}
