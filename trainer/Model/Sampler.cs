namespace AgentOps.Trainer.Model;

/// <summary>
/// Picks the next token from one row of logits on the CPU (V = 259 is tiny): temperature, nucleus (top-p) and a
/// seeded <see cref="Random"/>. The log-prob it reports is under the UNTEMPERED distribution (policy.proto).
/// </summary>
public static class Sampler
{
    /// <summary>Returns the token and its untempered log-prob. Temperature 0 is greedy; topP 0 or 1 disables nucleus.</summary>
    public static (int Token, float LogProb) Sample(ReadOnlySpan<float> logits, float temperature, float topP, Random rng)
    {
        var v = logits.Length;
        double max = double.NegativeInfinity;
        for (var i = 0; i < v; i++) max = Math.Max(max, logits[i]);
        double z = 0;
        for (var i = 0; i < v; i++) z += Math.Exp(logits[i] - max);
        var logZ = max + Math.Log(z);
        int token;
        if (temperature <= 0)
        {
            token = 0;
            for (var i = 1; i < v; i++) if (logits[i] > logits[token]) token = i;
        }
        else
        {
            var p = new double[v];
            double tmax = max / temperature, sum = 0;
            for (var i = 0; i < v; i++) sum += p[i] = Math.Exp(logits[i] / temperature - tmax);
            for (var i = 0; i < v; i++) p[i] /= sum;
            token = topP > 0 && topP < 1 ? Nucleus(p, topP, rng) : Draw(p, Enumerable.Range(0, v), 1.0, rng);
        }
        return (token, (float)(logits[token] - logZ));
    }

    // Holtzman et al. 2020: keep the most likely tokens whose mass first reaches topP, renormalise, draw.
    private static int Nucleus(double[] p, float topP, Random rng)
    {
        var order = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).ToArray();
        double mass = 0;
        var k = 0;
        while (k < order.Length && mass < topP) mass += p[order[k++]];
        return Draw(p, order.Take(k), mass, rng);
    }

    private static int Draw(double[] p, IEnumerable<int> candidates, double mass, Random rng)
    {
        var u = rng.NextDouble() * mass;
        var last = -1;
        foreach (var i in candidates)
        {
            last = i;
            u -= p[i];
            if (u < 0) return i;
        }
        return last;
    }
}
