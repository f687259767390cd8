using Microsoft.AspNetCore.Http;
using System.Net;
using AgentOps.Telemetry;

namespace AgentOps.Telemetry.Tests;

public sealed class MetricsServerTests
{
    [Fact]
    public async Task Serves_metrics_healthz_readyz_and_extra_routes_over_http1()
    {
        using var t = new TestMeter();
        t.Meter.CreateCounter<long>("agentops.served").Add(11);
        var ready = false;
        await using var server = new MetricsServer(new MetricsServerOptions { Address = IPAddress.Loopback }, t.Collector)
            .AddReadinessCheck("policy-loaded", _ => Task.FromResult(ready ? ReadinessResult.Ready() : ReadinessResult.NotReady("no checkpoint loaded yet")))
            .AddReadinessCheck("redis", _ => Task.FromResult(ReadinessResult.Ready("PONG")))
            .MapGet("/status", ctx => ctx.Response.WriteAsync("{\"phase\":\"sft\"}"));
        await server.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}/") };

        using var metrics = await http.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(new Version(1, 1), metrics.Version);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.Content.Headers.ContentType?.ToString());
        Assert.Contains("agentops_served_total 11\n", await metrics.Content.ReadAsStringAsync());

        using var health = await http.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        using var notReady = await http.GetAsync("readyz");
        var notReadyBody = await notReady.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Contains("FAIL policy-loaded: no checkpoint loaded yet", notReadyBody);
        Assert.Contains("ok   redis: PONG", notReadyBody);

        ready = true;
        using var nowReady = await http.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.OK, nowReady.StatusCode);

        Assert.Equal("{\"phase\":\"sft\"}", await http.GetStringAsync("status"));
        Assert.Throws<InvalidOperationException>(() => server.MapGet("/late", _ => Task.CompletedTask));
    }

    [Fact]
    public async Task A_throwing_or_hanging_check_is_not_ready_with_the_reason()
    {
        using var t = new TestMeter();
        await using var server = new MetricsServer(new MetricsServerOptions { Address = IPAddress.Loopback, ReadinessTimeout = TimeSpan.FromMilliseconds(300) }, t.Collector)
            .AddReadinessCheck("throws", _ => throw new InvalidOperationException("redis 127.0.0.1:1 refused"))
            .AddReadinessCheck("hangs", ct => Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => ReadinessResult.Ready(), TaskScheduler.Default));
        var results = await server.CheckReadinessAsync();
        Assert.Contains(results, r => r.Name == "throws" && !r.Result.IsReady && r.Result.Detail.Contains("redis 127.0.0.1:1 refused"));
        Assert.Contains(results, r => r.Name == "hangs" && !r.Result.IsReady && r.Result.Detail.Contains("no answer within 0.3 s"));
    }

    [Fact]
    public async Task Serves_process_and_runtime_metrics_next_to_ours_and_promtool_accepts_them()
    {
        var meter = new System.Diagnostics.Metrics.Meter($"AgentOps.Test.{Guid.NewGuid():N}");
        using var _ = meter;
        // The collector a MetricsServer makes for itself, limited to this test's meter (tests run in parallel).
        using var collector = new MetricsCollector(m => ReferenceEquals(m, meter), processMetrics: true);
        meter.CreateCounter<long>("agentops.server.requests", description: "Requests.").Add(2);
        await using var server = new MetricsServer(new MetricsServerOptions { Address = IPAddress.Loopback }, collector);
        await server.StartAsync();
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{server.Port}/metrics");
        Assert.Contains("\nprocess_cpu_seconds_total ", text);
        Assert.Contains("\ndotnet_total_memory_bytes ", text);
        Assert.Contains("\nagentops_server_requests_total 2\n", text);
        var (exit, output) = await AgentOps.Testing.Prometheus.Promtool.CheckMetricsAsync(text);
        Assert.True(exit == 0, $"promtool check metrics exit {exit}: {output}");
    }
}
