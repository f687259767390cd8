namespace AgentOps.Trainer.Algorithms;

/// <summary>
/// Generalised Advantage Estimation (Schulman et al. 2016) over the ACTION tokens of one episode: positions
/// with loss mask 0 (prompt, interpreter output, feedback) are not time steps, so the recursion jumps over
/// them (ReTool masks interpreter tokens). The outcome reward arrives on the last action token.
/// </summary>
public static class Gae
{
    /// <param name="values">Value estimates per target position (only mask-1 positions are read).</param>
    /// <returns>Advantages and returns (advantage + value) per target position; 0 where mask is 0.</returns>
    public static (float[] Advantages, float[] Returns) Compute(ReadOnlySpan<byte> mask, ReadOnlySpan<float> values, double reward, double gamma, double lambda)
    {
        if (values.Length != mask.Length)
            throw new ArgumentException($"values: need one per target position ({mask.Length}), got {values.Length}");
        var adv = new float[mask.Length];
        var ret = new float[mask.Length];
        double nextValue = 0, nextAdv = 0;
        var last = true;
        for (var t = mask.Length - 1; t >= 0; t--)
        {
            if (mask[t] == 0) continue;
            var r = last ? reward : 0.0;
            var delta = r + gamma * nextValue - values[t];
            var a = delta + gamma * lambda * nextAdv;
            adv[t] = (float)a;
            ret[t] = (float)(a + values[t]);
            nextValue = values[t];
            nextAdv = a;
            last = false;
        }
        return (adv, ret);
    }
}
