using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Prometheus;

namespace AgentOps.Telemetry;

/// <summary>
/// Publishes the instruments of our <see cref="System.Diagnostics.Metrics"/> meters (by default those named <c>AgentOps*</c>)
/// as prometheus-net collectors in a <see cref="CollectorRegistry"/> of its own, which prometheus-net renders
/// (<see cref="Collect"/>, or <c>MapMetrics</c> in <see cref="MetricsServer"/>). Counters become counters named
/// <c>..._total</c>, up-down counters and gauges become gauges, histograms keep their buckets (the instrument's advice,
/// else <see cref="HistogramBuckets.ForUnit"/>). Instruments of the same name from several meters share one family.
/// Own code next to prometheus-net's MeterAdapter because the adapter names a metric "{meter}_{instrument}" without unit
/// suffixes and exports counters as gauges: the chart's dashboard and PrometheusRule query names such as
/// <c>agentops_operator_reconcile_errors_total</c> (a counter) that only <see cref="PrometheusNames.MetricName"/> keeps.
/// </summary>
public sealed class MetricsCollector : IDisposable
{
    /// <summary>The Content-Type of <see cref="Collect"/>'s output (prometheus-net's text format).</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly MeterListener _listener = new();
    private readonly Func<Meter, bool> _meterFilter;
    private readonly MetricFactory _factory;
    private readonly ConcurrentQueue<string> _conflicts = new();
    private volatile bool _disposed;

    /// <param name="meterFilter">Which meters to publish; default: names starting with "AgentOps".</param>
    /// <param name="processMetrics">Also publish prometheus-net's standard process_* and dotnet_* metrics.</param>
    public MetricsCollector(Func<Meter, bool>? meterFilter = null, bool processMetrics = false)
    {
        _meterFilter = meterFilter ?? (m => m.Name.StartsWith("AgentOps", StringComparison.Ordinal));
        Registry = Metrics.NewCustomRegistry();
        if (processMetrics) DotNetStats.Register(Registry);
        _factory = Metrics.WithCustomRegistry(Registry);
        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.SetMeasurementEventCallback<byte>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<short>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<long>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<float>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<decimal>((i, v, t, s) => Record(s, (double)v, t));
        _listener.Start();
        // Observable instruments are read at each scrape, right before prometheus-net collects.
        Registry.AddBeforeCollectCallback(() =>
        {
            if (!_disposed) _listener.RecordObservableInstruments();
        });
    }

    /// <summary>The prometheus-net registry the instruments are published to.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Instruments left out because their name was taken by an instrument of another kind or other labels.</summary>
    public IReadOnlyCollection<string> Conflicts => _conflicts.ToArray();

    /// <summary>Reads the observable instruments and renders the registry in the text format 0.0.4.</summary>
    public string Collect()
    {
        using var stream = new MemoryStream();
        Registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        return System.Text.Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!_meterFilter(instrument.Meter)) return;
        var kind = InstrumentKinds.Of(instrument);
        var name = PrometheusNames.MetricName(instrument.Name.ToLowerInvariant(), instrument.Unit);
        if (kind is InstrumentKind.Counter or InstrumentKind.ObservableCounter && !name.EndsWith("_total", StringComparison.Ordinal)) name += "_total";
        // Escaped here (exposition format: HELP escapes \ and newline): prometheus-net 8.2.1 writes HELP text verbatim, and a
        // description with a newline broke the exposition (PrometheusExpositionTests.Label_values_escape_...).
        var help = (string.IsNullOrEmpty(instrument.Description) ? instrument.Name : instrument.Description).Replace("\\", "\\\\").Replace("\n", "\\n");
        listener.EnableMeasurementEvents(instrument, new Binding(this, instrument, name, help, kind, StaticTags(instrument)));
    }

    private static void Record(object? state, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (state is not Binding b) return;
        var (names, values) = b.Labels(tags);
        var child = b.Child(names, values);
        switch (child)
        {
            case Histogram.Child h: h.Observe(value); break;
            case Counter.Child c when b.Kind == InstrumentKind.ObservableCounter: c.IncTo(value); break;
            case Counter.Child c: if (value > 0) c.Inc(value); break;
            case Gauge.Child g when b.Kind == InstrumentKind.UpDownCounter: g.Inc(value); break;
            case Gauge.Child g: g.Set(value); break;
        }
    }

    private static KeyValuePair<string, string>[] StaticTags(Instrument instrument) =>
        (instrument.Meter.Tags ?? []).Concat(instrument.Tags ?? [])
            .Select(t => new KeyValuePair<string, string>(PrometheusNames.LabelName(t.Key), Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? ""))
            .ToArray();

    /// <summary>One instrument's family; prometheus-net fixes label names per family, so a family is made per label-name set.</summary>
    private sealed class Binding(MetricsCollector owner, Instrument instrument, string name, string help, InstrumentKind kind, KeyValuePair<string, string>[] staticTags)
    {
        private readonly ConcurrentDictionary<string, Collector?> _families = new(StringComparer.Ordinal);

        public InstrumentKind Kind => kind;

        public (string[] Names, string[] Values) Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (staticTags.Length == 0 && tags.Length == 0) return ([], []);
            var all = new List<KeyValuePair<string, string>>(staticTags.Length + tags.Length);
            all.AddRange(staticTags);
            foreach (var t in tags)
            {
                var key = PrometheusNames.LabelName(t.Key);
                all.RemoveAll(x => x.Key == key); // a measurement's tag overrides a static one of the same name
                all.Add(new(key, Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? ""));
            }
            all.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return (all.Select(x => x.Key).ToArray(), all.Select(x => x.Value).ToArray());
        }

        public object? Child(string[] names, string[] values)
        {
            var family = _families.GetOrAdd(string.Join(',', names), _ => Create(names));
            return family switch
            {
                Histogram h => h.WithLabels(values),
                Counter c => c.WithLabels(values),
                Gauge g => g.WithLabels(values),
                _ => null,
            };
        }

        private Collector? Create(string[] labelNames)
        {
            try
            {
                return kind switch
                {
                    InstrumentKind.Counter or InstrumentKind.ObservableCounter => owner._factory.CreateCounter(name, help, labelNames),
                    InstrumentKind.Histogram => owner._factory.CreateHistogram(name, help, labelNames,
                        new HistogramConfiguration { Buckets = InstrumentKinds.Boundaries(instrument) }),
                    _ => owner._factory.CreateGauge(name, help, labelNames),
                };
            }
            catch (InvalidOperationException e)
            {
                owner._conflicts.Enqueue($"{instrument.Meter.Name}/{instrument.Name} as '{name}' ({kind}, labels {string.Join(",", labelNames)}): {e.Message}");
                return null;
            }
        }
    }
}
