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
    /// (a row longer than that is a part alone), each part padded only to its own longest row. The cuts minimise
    /// the padded positions plus <paramref name="partOverheadTokens"/> per part (a pass has a fixed cost, so a part
    /// must save at least that much padding): one 512-token runaway episode is a part of its own instead of padding
    /// the 15 next-longest rows to 512, and SFT's few long error-and-recover demonstrations no longer pad the short
    /// ones. Dynamic programming over the sorted rows, O(rows²).
    /// </summary>
    public IEnumerable<TrainingBatch> Parts(int maxTokens, int partOverheadTokens = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(partOverheadTokens);
        var lengths = RowLengths ?? Enumerable.Repeat(Columns, Rows).ToArray();
        var order = Enumerable.Range(0, Rows).OrderByDescending(r => lengths[r]).ThenBy(r => r).ToArray();
        // cost[i]: the cheapest cut of order[i..]; next[i]: where its first part ends. A part [i, j) is
        // (j - i) rows wide as its longest row, lengths[order[i]].
        var n = order.Length;
        var cost = new long[n + 1];
        var next = new int[n + 1];
        for (var i = n - 1; i >= 0; i--)
        {
            var width = (long)Math.Max(1, lengths[order[i]]);
            cost[i] = long.MaxValue;
            for (var j = i + 1; j <= n && (j == i + 1 || (j - i) * width <= maxTokens); j++)
            {
                var c = (j - i) * width + partOverheadTokens + cost[j];
                if (c < cost[i]) (cost[i], next[i]) = (c, j);
            }
        }
        // One part as wide as the batch is the batch: no copy.
        if (n > 0 && next[0] == n && Math.Max(1, lengths[order[0]]) == Columns)
        {
            yield return this;
            yield break;
        }
        for (var start = 0; start < n; start = next[start])
            yield return Gather(order[start..next[start]], Math.Max(1, lengths[order[start]]));
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
