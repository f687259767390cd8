using System.Collections.Concurrent;

namespace AgentOps.Protos.Metrics;

/// <summary>The Prometheus types this exporter writes.</summary>
internal enum MetricKind
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>
/// One exported metric family: every instrument (from any number of meters) that maps to the same Prometheus
/// name shares it, so two consumers in one process add into one counter instead of writing a duplicate family.
/// </summary>
internal sealed class MetricFamily(string name, string help, MetricKind kind, bool observable, double[] bounds)
{
    public string Name { get; } = name;
    public string Help { get; } = help;
    public MetricKind Kind { get; } = kind;

    /// <summary>Observable instruments are re-read on every scrape: their series are cleared first.</summary>
    public bool Observable { get; } = observable;

    /// <summary>Histogram upper bounds, ascending, without +Inf; empty for counters and gauges.</summary>
    public double[] Bounds { get; } = bounds;

    /// <summary>Series by their rendered label set ("" or "{a=\"x\",b=\"y\"}", labels sorted by name).</summary>
    public ConcurrentDictionary<string, MetricSeries> Series { get; } = new(StringComparer.Ordinal);

    /// <summary>Instruments currently feeding this family; the family goes away with the last one.</summary>
    public int Instruments;

    public MetricSeries GetSeries(string labels) =>
        Series.TryGetValue(labels, out var s) ? s : Series.GetOrAdd(labels, l => new MetricSeries(l, Bounds.Length));
}

/// <summary>One time series: a value (counter, gauge) or bucket counts and a sum (histogram).</summary>
internal sealed class MetricSeries(string labels, int bounds)
{
    private double _value;
    private double _sum;

    public string Labels { get; } = labels;

    /// <summary>Per-bucket (not cumulative) counts; the last slot counts values above every bound.</summary>
    public long[] Buckets { get; } = bounds == 0 ? [] : new long[bounds + 1];

    public double Value => Volatile.Read(ref _value);
    public double Sum => Volatile.Read(ref _sum);

    public void Add(double delta) => AddDouble(ref _value, delta);

    public void Set(double value) => Volatile.Write(ref _value, value);

    public void Observe(double value, double[] bounds)
    {
        // Prometheus "le": a value equal to a bound falls in that bound's bucket.
        var i = Array.BinarySearch(bounds, value);
        if (i < 0) i = ~i;
        Interlocked.Increment(ref Buckets[i]);
        AddDouble(ref _sum, value);
    }

    private static void AddDouble(ref double target, double delta)
    {
        var current = Volatile.Read(ref target);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref target, current + delta, current);
            if (seen.Equals(current)) return;
            current = seen;
        }
    }
}
