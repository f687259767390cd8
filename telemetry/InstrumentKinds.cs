using System.Diagnostics.Metrics;

namespace AgentOps.Telemetry;

/// <summary>What a System.Diagnostics.Metrics instrument becomes in Prometheus.</summary>
internal enum InstrumentKind
{
    Counter,
    ObservableCounter,
    UpDownCounter,
    Gauge,
    Histogram,
}

internal static class InstrumentKinds
{
    public static InstrumentKind Of(Instrument instrument)
    {
        var type = instrument.GetType();
        var generic = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (generic == typeof(Counter<>)) return InstrumentKind.Counter;
        if (generic == typeof(ObservableCounter<>)) return InstrumentKind.ObservableCounter;
        if (generic == typeof(UpDownCounter<>)) return InstrumentKind.UpDownCounter;
        if (generic == typeof(Histogram<>)) return InstrumentKind.Histogram;
        return InstrumentKind.Gauge; // Gauge, ObservableGauge, ObservableUpDownCounter: the value as read
    }

    /// <summary>The instrument's advised bucket bounds, else the default for its unit; +Inf is prometheus-net's own.</summary>
    public static double[] Boundaries(Instrument instrument)
    {
        IReadOnlyList<double>? advised = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries,
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(x => (double)x).ToArray(),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(x => (double)x).ToArray(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(x => (double)x).ToArray(),
            _ => null,
        };
        var bounds = (advised ?? HistogramBuckets.ForUnit(instrument.Unit)).Distinct().Order().ToArray();
        return bounds.Length > 0 && double.IsPositiveInfinity(bounds[^1]) ? bounds[..^1] : bounds;
    }
}
