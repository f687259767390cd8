namespace AgentOps.Telemetry;

/// <summary>
/// Default explicit bucket boundaries for histograms that bring no
/// <see cref="System.Diagnostics.Metrics.InstrumentAdvice{T}.HistogramBucketBoundaries"/> of their own,
/// chosen by the instrument's unit.
/// </summary>
public static class HistogramBuckets
{
    /// <summary>Unit "s": 1 ms to 2 min, roughly ×2.5 per step (push latency, step time, sandbox cells).</summary>
    public static IReadOnlyList<double> Seconds { get; } =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    /// <summary>Unit "By": 256 B to 64 MiB, ×4 per step (trajectory and message sizes).</summary>
    public static IReadOnlyList<double> Bytes { get; } =
        [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    /// <summary>Any other unit: the OpenTelemetry SDK's default boundaries.</summary>
    public static IReadOnlyList<double> Default { get; } =
        [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    /// <summary>The default boundaries for a unit ("s", "By", anything else).</summary>
    public static IReadOnlyList<double> ForUnit(string? unit) => unit switch
    {
        "s" => Seconds,
        "By" => Bytes,
        _ => Default,
    };
}
