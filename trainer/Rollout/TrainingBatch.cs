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
    /// <summary>Each row's real length (positions before its padding); null means every row fills the columns.</summary>
    public int[]? RowLengths { get; init; }

    /// <summary>Real (unpadded) positions over all rows.</summary>
    public long Tokens => RowLengths?.Sum(x => (long)x) ?? (long)Rows * Columns;

    /// <summary>
    /// The rows regrouped, longest first, into parts of at most <paramref name="maxTokens"/> padded positions
    /// (a row longer than that is a part alone), each part padded only to its own longest row: one 512-token
    /// runaway episode no longer pads 63 short ones to 512.
    /// </summary>
    public IEnumerable<TrainingBatch> Parts(int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        var lengths = RowLengths ?? Enumerable.Repeat(Columns, Rows).ToArray();
        var order = Enumerable.Range(0, Rows).OrderByDescending(r => lengths[r]).ThenBy(r => r).ToArray();
        for (var start = 0; start < order.Length;)
        {
            var width = Math.Max(1, lengths[order[start]]);
            var count = Math.Clamp(maxTokens / width, 1, order.Length - start);
            yield return Gather(order[start..(start + count)], width);
            start += count;
        }
    }

    private TrainingBatch Gather(int[] rows, int columns)
    {
        var n = rows.Length * columns;
        T[] G<T>(T[] a)
        {
            var o = new T[n];
            for (var i = 0; i < rows.Length; i++) a.AsSpan(rows[i] * Columns, columns).CopyTo(o.AsSpan(i * columns, columns));
            return o;
        }
        return new TrainingBatch(rows.Length, columns, G(Inputs), G(Targets), G(LossMask), G(BehaviourLogProbs), G(Advantages), G(Returns))
        {
            RowLengths = RowLengths is null ? null : [.. rows.Select(r => Math.Min(RowLengths[r], columns))],
        };
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
