using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using AgentOps.Operator.Controller;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Reconcile;
using AgentOps.Protos.Api;
using AgentOps.Testing.Kube;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Bench.Operator;

/// <summary>
/// N TrainingRuns (default 1,000; AGENTOPS_BENCH_RUNS) created at once in the fake API server, reconciled by
/// the real operator over HTTP: time until every run is Running, reconciles per second, API writes, objects
/// made, memory; then a full resync of every run (what a relist does), which must write nothing.
/// The fake API server runs in the same process, so memory includes it.
/// </summary>
public sealed class OperatorBench : IBench
{
    public string Name => "operator";

    public async Task RunAsync(BenchTable table)
    {
        var runs = int.TryParse(Environment.GetEnvironmentVariable("AGENTOPS_BENCH_RUNS"), out var n) ? n : 1000;
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        var baseline = GC.GetTotalMemory(true);

        await using var server = await FakeKubeApiServer.StartAsync(new FakeKubeOptions { TickInterval = TimeSpan.FromMilliseconds(100) });
        await using var status = await StatusServer.StartAsync();
        using var client = new KubeClient(new KubeConnection { Server = server.Url });
        using var metrics = new OperatorMetrics();
        using var http = new HttpClient();
        using var cleaner = new RedisRunStreamCleaner();
        long reconciles = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Meter.Name == OperatorMetrics.MeterName && i.Name == "agentops_operator_reconcile_total") l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref reconciles, v));
        listener.Start();

        var host = new OperatorHost(client, new OperatorHostOptions
        {
            Identity = "bench", TrainingRunWorkers = 4, SandboxPoolWorkers = 4,
            Reconcile = new ReconcileOptions { ProgressPollInterval = TimeSpan.FromMinutes(10) },
        }, new HttpTrainerProgressSource(http, (ns, run) => new Uri(status.Url, $"/status/{ns}/{run}")), cleaner,
            TimeProvider.System, NullLoggerFactory.Instance, metrics);
        using var stop = new CancellationTokenSource();
        var running = host.RunAsync(stop.Token);
        await host.Synced;

        var template = Manifests.ParseTrainingRun(ManifestText("template")).GetValueOrThrow("bench");
        var clock = Stopwatch.StartNew();
        var writesBefore = server.MutatingRequests;
        await Parallel.ForEachAsync(Enumerable.Range(0, runs), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var run = template with { Metadata = new ObjectMeta { Name = $"run-{i:D4}", Namespace = $"team-{i % 10}" } };
            await client.CreateAsync(ResourceType.TrainingRun, JsonNode.Parse(Manifests.ToJson(run))!.AsObject(), ct);
        });
        var created = clock.Elapsed.TotalSeconds;
        while (server.Store.List("trainingruns", null).Items.Count(r => (string?)r["status"]?["phase"] == "Running") < runs)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(9)) throw new TimeoutException($"not converged after 9 min");
            await Task.Delay(200);
        }
        var converge = clock.Elapsed.TotalSeconds;
        var reconcilesToConverge = Interlocked.Read(ref reconciles);
        var writes = server.MutatingRequests - writesBefore;
        var objects = new[] { "trainingruns", "sandboxpools", "deployments", "statefulsets", "services", "secrets", "configmaps", "networkpolicies", "persistentvolumeclaims" }
            .Sum(r => server.Store.Count(r));
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        var heap = GC.GetTotalMemory(true) - baseline;

        table.Add(Name, "runs", runs, "count", "TrainingRuns created at once (16 concurrent POSTs)");
        table.Add(Name, "create_seconds", created, "s");
        table.Add(Name, "converge_seconds", converge, "s", "until every run is Running (children ready in the fake)");
        table.Add(Name, "reconciles", reconcilesToConverge, "count", "TrainingRun + SandboxPool reconciles to converge");
        table.Add(Name, "reconciles_per_second", reconcilesToConverge / converge, "1/s", "4+4 workers, 2-core box");
        table.Add(Name, "api_writes", writes, "count", "POST/PUT/PATCH/DELETE (creates of runs included)");
        table.Add(Name, "objects", objects, "count", "runs + children in the fake");
        table.Add(Name, "managed_heap", heap / 1048576.0, "MiB", "operator caches + fake API server, same process");
        table.Add(Name, "working_set", Environment.WorkingSet / 1048576.0, "MiB");

        // Resync: every run and pool reconciled again against an unchanged world (what a relist triggers).
        var before = Interlocked.Read(ref reconciles);
        var writesBeforeResync = server.MutatingRequests;
        var resync = Stopwatch.StartNew();
        foreach (var r in host.Reflector(ResourceType.TrainingRun).Cache.List()) host.RunQueue.Add(r.Key());
        foreach (var p in host.Reflector(ResourceType.SandboxPool).Cache.List()) host.PoolQueue.Add(p.Key());
        while (Interlocked.Read(ref reconciles) - before < 2L * runs) await Task.Delay(20);
        table.Add(Name, "resync_reconciles_per_second", 2.0 * runs / resync.Elapsed.TotalSeconds, "1/s", "no-op reconciles from the caches");
        table.Add(Name, "resync_api_writes", server.MutatingRequests - writesBeforeResync, "count", "must be 0: a converged world costs no write");

        await stop.CancelAsync();
        await running;
    }

    private static string ManifestText(string name) => $$"""
        apiVersion: agentops.dev/v1alpha1
        kind: TrainingRun
        metadata: { name: {{name}} }
        spec:
          environment: { name: arithmetic }
          sandbox: { replicas: 2 }
        """;

    /// <summary>A real HTTP listener answering every trainer's /status.</summary>
    private sealed class StatusServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private StatusServer(WebApplication app) => _app = app;
        public Uri Url { get; private set; } = null!;

        public static async Task<StatusServer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.Run(ctx => ctx.Response.WriteAsync("""{"phase":"rl","step":1,"totalSteps":100,"policyVersion":1,"meanReward":0.5,"successRate":0.5,"trajectoriesIngested":64,"tokensPerSecond":1000,"trajectoriesPerSecond":10}"""));
            await app.StartAsync();
            return new StatusServer(app) { Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        }

        public async ValueTask DisposeAsync() { await _app.StopAsync(); await _app.DisposeAsync(); }
    }
}
