using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace AgentOps.Telemetry;

/// <summary>
/// The HTTP/1.1 side port every AgentOps process serves (the gRPC port is HTTP/2-only):
/// <c>GET /metrics</c> (prometheus-net's <c>MapMetrics</c> over a <see cref="MetricsCollector"/>'s registry: our
/// instruments plus the standard process_* and dotnet_* metrics), <c>GET /healthz</c>
/// (liveness: 200 while the process serves), <c>GET /readyz</c> (readiness: 200 when every registered check
/// is ready, else 503 naming the failing checks), plus routes a process adds with <see cref="MapGet"/>
/// before <see cref="StartAsync"/> (the trainer's <c>/status</c>).
/// </summary>
public sealed class MetricsServer : IAsyncDisposable
{
    private readonly MetricsServerOptions _options;
    private readonly bool _ownsCollector;
    private readonly List<(string Name, Func<CancellationToken, Task<ReadinessResult>> Check)> _checks = [];
    private readonly List<(string Path, RequestDelegate Handler)> _routes = [];
    private WebApplication? _app;

    /// <param name="collector">The collector to serve; null creates one for meters named "AgentOps*" with the process and
    /// runtime metrics (disposed with the server).</param>
    public MetricsServer(MetricsServerOptions? options = null, MetricsCollector? collector = null)
    {
        _options = options ?? new MetricsServerOptions();
        _ownsCollector = collector is null;
        Collector = collector ?? new MetricsCollector(processMetrics: true);
    }

    public MetricsCollector Collector { get; }

    /// <summary>The bound port (after <see cref="StartAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary>Adds a readiness check; a check that throws or times out counts as not ready.</summary>
    public MetricsServer AddReadinessCheck(string name, Func<CancellationToken, Task<ReadinessResult>> check)
    {
        lock (_checks) _checks.Add((name, check));
        return this;
    }

    /// <summary>Adds a GET route, e.g. the trainer's <c>/status</c>. Only before <see cref="StartAsync"/>.</summary>
    public MetricsServer MapGet(string path, RequestDelegate handler)
    {
        if (_app is not null) throw new InvalidOperationException($"MetricsServer.MapGet(\"{path}\"): routes must be added before StartAsync; the server already listens on port {Port}.");
        _routes.Add((path, handler));
        return this;
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null) throw new InvalidOperationException($"MetricsServer already started on port {Port}.");
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
            k.Listen(_options.Address, _options.Port, l => l.Protocols = HttpProtocols.Http1));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        app.MapMetrics("/metrics", Collector.Registry);
        app.MapGet("/healthz", ctx => WriteText(ctx, 200, "ok\n"));
        app.MapGet("/readyz", WriteReadiness);
        foreach (var (path, handler) in _routes) app.MapGet(path, handler);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no bound address for the metrics port.");
        Port = new Uri(address.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1")).Port;
    }

    /// <summary>Runs every readiness check (in parallel, each bounded by the timeout).</summary>
    public async Task<IReadOnlyList<(string Name, ReadinessResult Result)>> CheckReadinessAsync(CancellationToken cancellationToken = default)
    {
        (string Name, Func<CancellationToken, Task<ReadinessResult>> Check)[] checks;
        lock (_checks) checks = [.. _checks];
        var results = await Task.WhenAll(checks.Select(async c => (c.Name, await RunCheck(c.Check, cancellationToken).ConfigureAwait(false)))).ConfigureAwait(false);
        return results;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
        if (_ownsCollector) Collector.Dispose();
    }

    private async Task<ReadinessResult> RunCheck(Func<CancellationToken, Task<ReadinessResult>> check, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(_options.ReadinessTimeout);
        try
        {
            return await check(cts.Token).WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ReadinessResult.NotReady($"no answer within {_options.ReadinessTimeout.TotalSeconds:0.###} s");
        }
        catch (Exception e)
        {
            return ReadinessResult.NotReady($"{e.GetType().Name}: {e.Message}");
        }
    }

    private async Task WriteReadiness(HttpContext ctx)
    {
        var results = await CheckReadinessAsync(ctx.RequestAborted).ConfigureAwait(false);
        var sb = new StringBuilder();
        foreach (var (name, r) in results)
            sb.Append(r.IsReady ? "ok   " : "FAIL ").Append(name).Append(": ").Append(r.Detail).Append('\n');
        var ready = results.All(r => r.Result.IsReady);
        if (results.Count == 0) sb.Append("ok (no checks registered)\n");
        await WriteText(ctx, ready ? 200 : 503, sb.ToString()).ConfigureAwait(false);
    }

    private static Task WriteText(HttpContext ctx, int status, string text)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        return ctx.Response.WriteAsync(text, ctx.RequestAborted);
    }
}
