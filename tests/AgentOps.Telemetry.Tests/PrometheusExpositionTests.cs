using System.Diagnostics.Metrics;
using AgentOps.Telemetry;
using AgentOps.Testing.Prometheus;

namespace AgentOps.Telemetry.Tests;

public sealed class PrometheusExpositionTests
{
    [Fact]
    public void Counter_gets_prefix_total_suffix_help_and_type()
    {
        using var t = new TestMeter();
        var c = t.Meter.CreateCounter<long>("queue.appended", description: "Trajectories appended.");
        c.Add(3);
        c.Add(4);
        var text = t.Collector.Collect();
        Assert.Contains("# HELP agentops_queue_appended_total Trajectories appended.\n", text);
        Assert.Contains("# TYPE agentops_queue_appended_total counter\n", text);
        Assert.Contains("\nagentops_queue_appended_total 7\n", "\n" + text);
    }

    [Fact]
    public void Histogram_buckets_are_cumulative_with_inf_sum_and_count()
    {
        using var t = new TestMeter();
        var h = t.Meter.CreateHistogram<double>("agentops.push.latency", unit: "s", description: "Push latency.");
        h.Record(0.003);   // le 0.005
        h.Record(0.005);   // le 0.005 (equal to the bound)
        h.Record(0.2);     // le 0.25
        h.Record(1000);    // only +Inf
        var text = t.Collector.Collect();
        Assert.Contains("# TYPE agentops_push_latency_seconds histogram\n", text);
        Assert.Contains("agentops_push_latency_seconds_bucket{le=\"0.0025\"} 0\n", text);
        Assert.Contains("agentops_push_latency_seconds_bucket{le=\"0.005\"} 2\n", text);
        Assert.Contains("agentops_push_latency_seconds_bucket{le=\"0.1\"} 2\n", text);
        Assert.Contains("agentops_push_latency_seconds_bucket{le=\"0.25\"} 3\n", text);
        Assert.Contains("agentops_push_latency_seconds_bucket{le=\"120\"} 3\n", text);
        Assert.Contains("agentops_push_latency_seconds_bucket{le=\"+Inf\"} 4\n", text);
        Assert.Contains("agentops_push_latency_seconds_sum 1000.208\n", text);
        Assert.Contains("agentops_push_latency_seconds_count 4\n", text);
    }

    [Fact]
    public void Histogram_uses_advised_boundaries_and_byte_defaults()
    {
        using var t = new TestMeter();
        var advised = t.Meter.CreateHistogram<double>("agentops.step", "s", "Step time.", tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 10] });
        advised.Record(5);
        var bytes = t.Meter.CreateHistogram<long>("agentops.trajectory.size", "By", "Trajectory size.");
        bytes.Record(5000);
        var text = t.Collector.Collect();
        Assert.Contains("agentops_step_seconds_bucket{le=\"1\"} 0\nagentops_step_seconds_bucket{le=\"10\"} 1\nagentops_step_seconds_bucket{le=\"+Inf\"} 1\n", text);
        Assert.Contains("agentops_trajectory_size_bytes_bucket{le=\"4096\"} 0\n", text);
        Assert.Contains("agentops_trajectory_size_bytes_bucket{le=\"16384\"} 1\n", text);
    }

    [Fact]
    public void Label_values_escape_backslash_quote_and_newline_and_names_are_sanitised()
    {
        using var t = new TestMeter();
        var c = t.Meter.CreateCounter<long>("agentops.rejected", description: "Rejections by reason.\nSecond line \\ here.");
        c.Add(1, new KeyValuePair<string, object?>("reason", "a\\b \"quoted\"\nnext"), new KeyValuePair<string, object?>("1bad-key", "x"));
        var text = t.Collector.Collect();
        Assert.Contains("# HELP agentops_rejected_total Rejections by reason.\\nSecond line \\\\ here.\n", text);
        Assert.Contains("agentops_rejected_total{_1bad_key=\"x\",reason=\"a\\\\b \\\"quoted\\\"\\nnext\"} 1\n", text);
    }

    [Fact]
    public void UpDownCounter_adds_gauge_sets_observables_are_read_at_scrape()
    {
        using var t = new TestMeter();
        var inflight = t.Meter.CreateUpDownCounter<int>("agentops.inflight", description: "In flight.");
        inflight.Add(5);
        inflight.Add(-2);
        var version = t.Meter.CreateGauge<long>("agentops.policy.version", description: "Policy version.");
        version.Record(7);
        version.Record(9);
        var length = 10L;
        t.Meter.CreateObservableGauge("agentops.queue.length", () => length, description: "Stream length.");
        var total = 100L;
        t.Meter.CreateObservableCounter("agentops.queue.delivered", () => total, description: "Delivered.");
        var first = t.Collector.Collect();
        length = 12;
        total = 150;
        var second = t.Collector.Collect();
        Assert.Contains("# TYPE agentops_inflight gauge\nagentops_inflight 3\n", first);
        Assert.Contains("# TYPE agentops_policy_version gauge\nagentops_policy_version 9\n", first);
        Assert.Contains("agentops_queue_length 10\n", first);
        Assert.Contains("agentops_queue_length 12\n", second);
        Assert.Contains("# TYPE agentops_queue_delivered_total counter\nagentops_queue_delivered_total 100\n", first);
        Assert.Contains("agentops_queue_delivered_total 150\n", second);
    }

    [Fact]
    public void Same_name_from_two_meters_is_one_family_and_a_disposed_meter_leaves()
    {
        var name = $"AgentOps.Shared.{Guid.NewGuid():N}";
        using var a = new Meter(name);
        using var collector = new MetricsCollector(m => m.Name == name);
        var b = new Meter(name);
        a.CreateCounter<long>("agentops.shared.events").Add(2);
        b.CreateCounter<long>("agentops.shared.events").Add(3);
        var text = collector.Collect();
        Assert.Single(text.Split('\n'), l => l.StartsWith("# TYPE agentops_shared_events_total", StringComparison.Ordinal));
        Assert.Contains("agentops_shared_events_total 5\n", text);
        b.Dispose();
        Assert.Contains("agentops_shared_events_total 5\n", collector.Collect());
    }

    [Fact]
    public void Conflicting_kinds_are_reported_not_written_twice()
    {
        using var t = new TestMeter();
        t.Meter.CreateCounter<long>("agentops.thing_total").Add(1);
        t.Meter.CreateHistogram<double>("agentops.thing_total").Record(1);
        var text = t.Collector.Collect();
        Assert.Single(text.Split('\n'), l => l.StartsWith("# TYPE agentops_thing_total", StringComparison.Ordinal));
        var conflict = Assert.Single(t.Collector.Conflicts);
        Assert.Contains("agentops_thing_total", conflict);
        Assert.Contains("Histogram", conflict);
    }

    [Fact]
    public async Task Promtool_check_metrics_accepts_every_kind()
    {
        using var t = new TestMeter();
        t.Meter.CreateCounter<long>("agentops.ingest.trajectories", description: "Trajectories ingested.").Add(3, new KeyValuePair<string, object?>("env", "arith\"metic\\\n"));
        t.Meter.CreateCounter<long>("agentops.ingest.bytes", "By", "Bytes ingested.").Add(4096);
        t.Meter.CreateUpDownCounter<long>("agentops.inflight.requests", description: "Requests in flight.").Add(2);
        t.Meter.CreateObservableGauge("agentops.queue.lag", () => 42L, description: "Unconsumed backlog.");
        t.Meter.CreateObservableCounter("agentops.gc.collections", () => 9L, description: "GCs.");
        var h = t.Meter.CreateHistogram<double>("agentops.push.duration", "s", "Push latency.");
        h.Record(0.01, new KeyValuePair<string, object?>("code", "OK"));
        h.Record(7, new KeyValuePair<string, object?>("code", "UNAVAILABLE"));
        var text = t.Collector.Collect();
        var (exit, output) = await Promtool.CheckMetricsAsync(text);
        Assert.True(exit == 0 && output.Trim().Length == 0, $"promtool check metrics exit {exit}: {output}\n--- input ---\n{text}");
    }
}
