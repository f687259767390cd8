using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace AgentOps.Protos.Metrics;

/// <summary>
/// Collects every instrument of the meters it is given (by default those named <c>AgentOps*</c>) through a
/// <see cref="MeterListener"/> and renders them in the Prometheus text exposition format 0.0.4.
/// Counters and observable counters become <c>counter</c> (name ending in <c>_total</c>), up-down counters and
/// gauges become <c>gauge</c>, histograms become <c>histogram</c> with explicit buckets (the instrument's
/// advice, else <see cref="HistogramBuckets.ForUnit"/>). Instruments of the same name from several meters
/// share one family: counters and up-down counters add, gauges keep the last value.
/// </summary>
public sealed class MetricsCollector : IDisposable
{
    /// <summary>The Content-Type of <see cref="Collect"/>'s output.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly MeterListener _listener = new();
    private readonly Func<Meter, bool> _meterFilter;
    private readonly ConcurrentDictionary<string, MetricFamily> _families = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _conflicts = new();
    private readonly Lock _scrapeLock = new();

    /// <param name="meterFilter">Which meters to collect; default: names starting with "AgentOps".</param>
    public MetricsCollector(Func<Meter, bool>? meterFilter = null)
    {
        _meterFilter = meterFilter ?? (m => m.Name.StartsWith("AgentOps", StringComparison.Ordinal));
        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.MeasurementsCompleted = OnMeasurementsCompleted;
        _listener.SetMeasurementEventCallback<byte>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<short>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<long>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<float>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<decimal>((i, v, t, s) => Record(s, (double)v, t));
        _listener.Start();
    }

    /// <summary>Instruments left out because their name was taken by an instrument of another kind.</summary>
    public IReadOnlyCollection<string> Conflicts => _conflicts.ToArray();

    /// <summary>Reads the observable instruments and renders every family, sorted by name.</summary>
    public string Collect()
    {
        var sb = new StringBuilder(4096);
        lock (_scrapeLock)
        {
            foreach (var family in _families.Values)
                if (family.Observable) family.Series.Clear();
            _listener.RecordObservableInstruments();
            foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
                PrometheusTextWriter.WriteFamily(sb, family);
        }
        return sb.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!_meterFilter(instrument.Meter)) return;
        var (kind, observable) = Classify(instrument);
        var name = PrometheusNames.MetricName(instrument.Name.ToLowerInvariant(), instrument.Unit);
        if (kind == MetricKind.Counter && !name.EndsWith("_total", StringComparison.Ordinal)) name += "_total";
        var bounds = kind == MetricKind.Histogram ? Boundaries(instrument) : [];
        var family = _families.GetOrAdd(name, n => new MetricFamily(n, instrument.Description ?? instrument.Name, kind, observable, bounds));
        if (family.Kind != kind || family.Observable != observable)
        {
            _conflicts.Enqueue($"{instrument.Meter.Name}/{instrument.Name}: exported name '{name}' is already a {(family.Observable ? "observable " : "")}{family.Kind}, this one is a {(observable ? "observable " : "")}{kind}");
            return;
        }
        Interlocked.Increment(ref family.Instruments);
        var setsValue = kind == MetricKind.Gauge && IsGaugeInstrument(instrument);
        listener.EnableMeasurementEvents(instrument, new Binding(family, StaticTags(instrument), setsValue));
    }

    private void OnMeasurementsCompleted(Instrument instrument, object? state)
    {
        if (state is not Binding b) return;
        if (Interlocked.Decrement(ref b.Family.Instruments) == 0)
            _families.TryRemove(new KeyValuePair<string, MetricFamily>(b.Family.Name, b.Family));
    }

    private static void Record(object? state, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (state is not Binding b) return;
        var series = b.Family.GetSeries(LabelSet(b.StaticTags, tags));
        switch (b.Family.Kind)
        {
            case MetricKind.Histogram: series.Observe(v, b.Family.Bounds); break;
            case MetricKind.Gauge when b.SetsValue: series.Set(v); break;
            default: series.Add(v); break;
        }
    }

    private static (MetricKind Kind, bool Observable) Classify(Instrument instrument)
    {
        var type = instrument.GetType();
        var generic = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (generic == typeof(Counter<>)) return (MetricKind.Counter, false);
        if (generic == typeof(ObservableCounter<>)) return (MetricKind.Counter, true);
        if (generic == typeof(UpDownCounter<>)) return (MetricKind.Gauge, false);
        if (generic == typeof(ObservableUpDownCounter<>)) return (MetricKind.Gauge, true);
        if (generic == typeof(Gauge<>)) return (MetricKind.Gauge, false);
        if (generic == typeof(ObservableGauge<>)) return (MetricKind.Gauge, true);
        if (generic == typeof(Histogram<>)) return (MetricKind.Histogram, false);
        return (MetricKind.Gauge, instrument.IsObservable);
    }

    /// <summary>Gauges replace their value; up-down counters add to it.</summary>
    private static bool IsGaugeInstrument(Instrument instrument)
    {
        var type = instrument.GetType();
        var generic = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        return generic == typeof(Gauge<>) || generic == typeof(ObservableGauge<>);
    }

    private static double[] Boundaries(Instrument instrument)
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

    private static KeyValuePair<string, string>[] StaticTags(Instrument instrument) =>
        (instrument.Meter.Tags ?? []).Concat(instrument.Tags ?? [])
            .Select(t => new KeyValuePair<string, string>(PrometheusNames.LabelName(t.Key), Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? ""))
            .ToArray();

    private static string LabelSet(KeyValuePair<string, string>[] staticTags, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (staticTags.Length == 0 && tags.Length == 0) return "";
        var all = new List<KeyValuePair<string, string>>(staticTags.Length + tags.Length);
        all.AddRange(staticTags);
        foreach (var t in tags)
        {
            var key = PrometheusNames.LabelName(t.Key);
            all.RemoveAll(x => x.Key == key); // a measurement's tag overrides a static one of the same name
            all.Add(new(key, Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? ""));
        }
        all.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        var sb = new StringBuilder("{");
        for (var i = 0; i < all.Count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(all[i].Key).Append("=\"");
            PrometheusNames.AppendLabelValue(sb, all[i].Value);
            sb.Append('"');
        }
        return sb.Append('}').ToString();
    }

    private sealed record Binding(MetricFamily Family, KeyValuePair<string, string>[] StaticTags, bool SetsValue);
}
