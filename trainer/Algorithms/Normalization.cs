namespace AgentOps.Trainer.Algorithms;

/// <summary>Mean and standard deviation helpers shared by the advantage estimators.</summary>
public static class Normalization
{
    /// <summary>Population mean and standard deviation (divide by n, as torch.std(unbiased=False)).</summary>
    public static (double Mean, double Std) MeanStd(ReadOnlySpan<double> values)
    {
        if (values.Length == 0) return (0, 0);
        double sum = 0;
        foreach (var v in values) sum += v;
        var mean = sum / values.Length;
        double sq = 0;
        foreach (var v in values) sq += (v - mean) * (v - mean);
        return (mean, Math.Sqrt(sq / values.Length));
    }

    /// <summary>(x - mean) / (std + eps) in place over every value (REINFORCE++'s global batch whitening).</summary>
    public static void Whiten(Span<double> values, double eps)
    {
        var (mean, std) = MeanStd(values);
        for (var i = 0; i < values.Length; i++) values[i] = (values[i] - mean) / (std + eps);
    }
}
