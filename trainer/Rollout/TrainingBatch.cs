namespace AgentOps.Trainer.Rollout;

/// <summary>
/// A padded [Rows x Columns] batch, row-major. Position (r, t) holds input token t and target token t+1 of
/// row r; every float array is aligned to targets. Padding has mask 0 and the Pad token.
/// </summary>
public sealed record TrainingBatch(
    int Rows,
    int Columns,
    int[] Inputs,
    int[] Targets,
    float[] LossMask,
    float[] BehaviourLogProbs,
    float[] Advantages,
    float[] Returns)
{
    /// <summary>Rows [start, start + count) as a batch of their own (same columns).</summary>
    public TrainingBatch Slice(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, Rows);
        T[] S<T>(T[] a) => a.AsSpan(start * Columns, count * Columns).ToArray();
        return new TrainingBatch(count, Columns, S(Inputs), S(Targets), S(LossMask), S(BehaviourLogProbs), S(Advantages), S(Returns));
    }

    public int MaskedTokens
    {
        get
        {
            var n = 0;
            foreach (var m in LossMask) n += m > 0 ? 1 : 0;
            return n;
        }
    }
}
