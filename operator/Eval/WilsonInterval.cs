namespace AgentOps.Operator.Eval;

/// <summary>
/// Wilson score interval for a binomial proportion (Wilson 1927; as in statsmodels' proportion_confint
/// method="wilson"): better than the normal approximation near 0 and 1 and for small n.
/// </summary>
public readonly record struct WilsonInterval(double Low, double High)
{
    public const double Z95 = 1.959963984540054;

    public static WilsonInterval Of(int successes, int n, double z = Z95)
    {
        if (n <= 0) return new WilsonInterval(0, 1);
        double p = (double)successes / n, z2 = z * z;
        var center = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        // At 0 or n successes one bound is exactly 0 or 1; floating point leaves ~1e-18 there.
        return new WilsonInterval(successes == 0 ? 0 : Math.Max(0, center - half), successes == n ? 1 : Math.Min(1, center + half));
    }
}

/// <summary>
/// Interval for a difference of two proportions p1 − p2 from their Wilson intervals: Newcombe (1998), method 10
/// ("hybrid score", statsmodels' confint_proportions_2indep method="newcomb"). The difference is shown at the 95%
/// level when the interval excludes 0.
/// </summary>
public readonly record struct DifferenceInterval(double Difference, double Low, double High)
{
    public static DifferenceInterval Of(int successes1, int n1, int successes2, int n2)
    {
        double p1 = n1 == 0 ? 0 : (double)successes1 / n1, p2 = n2 == 0 ? 0 : (double)successes2 / n2;
        var a = WilsonInterval.Of(successes1, n1);
        var b = WilsonInterval.Of(successes2, n2);
        var d = p1 - p2;
        return new DifferenceInterval(d,
            d - Math.Sqrt((p1 - a.Low) * (p1 - a.Low) + (b.High - p2) * (b.High - p2)),
            d + Math.Sqrt((a.High - p1) * (a.High - p1) + (p2 - b.Low) * (p2 - b.Low)));
    }

    /// <summary>
    /// Interval for p1 − p2 when both proportions come from the same n tasks (each task solved or not by model 1 and
    /// by model 2): Newcombe (1998, Statistics in Medicine 17:2635), paired method 10. It combines the two Wilson
    /// intervals with the correlation of the pairs (φ, with Newcombe's correction toward 0), so outcomes the two
    /// models share do not count as noise twice: the held-out tasks are fixed, so every row is evaluated on the same
    /// ones. With φ = 0 it is the independent interval above.
    /// </summary>
    public static DifferenceInterval OfPaired(int both, int onlyFirst, int onlySecond, int neither)
    {
        if (both < 0 || onlyFirst < 0 || onlySecond < 0 || neither < 0)
            throw new ArgumentOutOfRangeException(nameof(both), $"paired counts must be >= 0, got {both}, {onlyFirst}, {onlySecond}, {neither}");
        var n = both + onlyFirst + onlySecond + neither;
        if (n == 0) return new DifferenceInterval(0, -1, 1);
        int s1 = both + onlyFirst, s2 = both + onlySecond;
        double p1 = (double)s1 / n, p2 = (double)s2 / n;
        var a = WilsonInterval.Of(s1, n);
        var b = WilsonInterval.Of(s2, n);
        double margins = (double)s1 * (n - s1) * s2 * (n - s2);
        double cross = (double)both * neither - (double)onlyFirst * onlySecond;
        var corrected = cross > n / 2.0 ? cross - n / 2.0 : cross < 0 ? cross : 0;
        var phi = margins > 0 ? corrected / Math.Sqrt(margins) : 0;
        var d = p1 - p2;
        double lo1 = p1 - a.Low, hi1 = a.High - p1, lo2 = p2 - b.Low, hi2 = b.High - p2;
        return new DifferenceInterval(d,
            d - Math.Sqrt(Math.Max(0, lo1 * lo1 - 2 * phi * lo1 * hi2 + hi2 * hi2)),
            d + Math.Sqrt(Math.Max(0, lo2 * lo2 - 2 * phi * lo2 * hi1 + hi1 * hi1)));
    }

    /// <summary>The whole interval is above zero.</summary>
    public bool IsImprovement => Low > 0;
}
