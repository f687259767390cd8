using System.Net;
using AgentOps.Telemetry;
using AgentOps.Testing.Prometheus;

namespace AgentOps.Telemetry.Tests;

/// <summary>A real Prometheus scrapes a real MetricsServer and answers PromQL through its HTTP API.</summary>
public sealed class PrometheusScrapeTests
{
    [Fact]
    public async Task Real_prometheus_scrapes_counter_gauge_histogram_and_escaped_label()
    {
        using var t = new TestMeter();
        var rejected = t.Meter.CreateCounter<long>("agentops.ingest.rejected", description: "Rejected pushes by reason.");
        rejected.Add(17, new KeyValuePair<string, object?>("reason", "bad \"mask\"\\len\nx"));
        var lag = 321L;
        t.Meter.CreateObservableGauge("agentops.queue.lag", () => lag, description: "Entries not yet delivered.");
        var latency = t.Meter.CreateHistogram<double>("agentops.ingest.push.duration", "s", "Push latency.");
        for (var i = 0; i < 90; i++) latency.Record(0.004); // le 0.005
        for (var i = 0; i < 10; i++) latency.Record(0.4);   // le 0.5

        await using var server = new MetricsServer(new MetricsServerOptions { Address = IPAddress.Loopback }, t.Collector);
        await server.StartAsync();
        await using var prometheus = await PrometheusServer.StartAsync([$"127.0.0.1:{server.Port}"]);
        var timeout = TimeSpan.FromSeconds(60);

        var counter = await prometheus.WaitForAsync("agentops_ingest_rejected_total", _ => true, timeout);
        Assert.Equal(17, counter.Value);
        Assert.Equal("bad \"mask\"\\len\nx", counter.Labels["reason"]);

        var gauge = await prometheus.WaitForAsync("agentops_queue_lag", _ => true, timeout);
        Assert.Equal(321, gauge.Value);

        // 90 of 100 observations are at or below 0.005: the median lies inside the (0.0025, 0.005] bucket,
        // the 0.95 quantile inside (0.25, 0.5] (linear interpolation within a bucket).
        var p50 = await prometheus.WaitForAsync("histogram_quantile(0.5, agentops_ingest_push_duration_seconds_bucket)", _ => true, timeout);
        Assert.InRange(p50.Value, 0.0025, 0.005);
        var p95 = await prometheus.WaitForAsync("histogram_quantile(0.95, agentops_ingest_push_duration_seconds_bucket)", _ => true, timeout);
        Assert.InRange(p95.Value, 0.25, 0.5);

        var byLabel = await prometheus.WaitForAsync("agentops_ingest_rejected_total{reason=\"bad \\\"mask\\\"\\\\len\\nx\"}", _ => true, timeout);
        Assert.Equal(17, byLabel.Value);

        lag = 5;
        await prometheus.WaitForAsync("agentops_queue_lag", s => s.Value == 5, timeout);
    }
}
