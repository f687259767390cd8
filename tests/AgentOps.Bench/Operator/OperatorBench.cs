using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using AgentOps.Operator.Controller;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Reconcile;
using AgentOps.Protos.Api;
using AgentOps.Testing.Kube;
using k8s;
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
/// N TrainingRuns (default 1,000; AGENTOPS_BENCH_RUNS) created at once and reconciled by the real operator, twice in
/// one run: against the in-process fake API server ("fake", its simulated controllers mark workloads ready), then
/// against a real kube-apiserver + controller-manager v1.28 with etcd ("real", <see cref="KubeControlPlane"/>; a
/// kubelet stand-in marks the pods Ready). For each: time until every run is Running, reconciles per second, writes,
/// objects made, memory (the operator process; for the real one also the control plane's resident memory); then a
/// full resync of every run and pool (what a relist does), which must write nothing. AGENTOPS_BENCH_OPERATOR_SERVERS=fake
/// or =real runs one of them.
/// </summary>
public sealed class OperatorBench : IBench
{
    public string Name => "operator";

    public async Task RunAsync(BenchTable table)
    {
        var runs = int.TryParse(Environment.GetEnvironmentVariable("AGENTOPS_BENCH_RUNS"), out var n) ? n : 1000;
        var servers = (Environment.GetEnvironmentVariable("AGENTOPS_BENCH_OPERATOR_SERVERS") ?? "fake,real").Split(',');
        if (servers.Contains("fake")) await FakeAsync(table, runs);
        if (servers.Contains("real")) await RealAsync(table, runs);
    }

    private async Task FakeAsync(BenchTable table, int runs)
    {
        var baseline = Heap();
        await using var server = await FakeKubeApiServer.StartAsync(new FakeKubeOptions { TickInterval = TimeSpan.FromMilliseconds(100) });
        using var client = new KubeClient(server.Config());
        await ConvergeAsync(table, "fake", client, runs, baseline, async () => server.MutatingRequests, kubelet: null,
            controlPlaneBytes: () => 0, note: "the fake API server runs in the same process: its memory is in the heap");
    }

    private async Task RealAsync(BenchTable table, int runs)
    {
        var started = Stopwatch.StartNew();
        await using var plane = await KubeControlPlane.StartAsync(async api =>
        {
            foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot(), "crds"), "*.yaml"))
                await ManifestInstaller.ApplyCrdsAsync(api, File.ReadAllText(file));
            await api.NodeV1.CreateRuntimeClassAsync(new k8s.Models.V1RuntimeClass { Metadata = new() { Name = "gvisor" }, Handler = "runsc" });
        });
        table.Add(Name, "real_control_plane_start_seconds", started.Elapsed.TotalSeconds, "s", $"etcd + kube-apiserver {plane.Version} ready, CRDs applied");
        var baseline = Heap();
        using var client = new KubeClient(plane.Config());
        using var stop = new CancellationTokenSource();
        var kubelet = Task.WhenAll(Enumerable.Range(0, 10).Select(t => Task.Run(() => PodReadiness.RunAsync(client.Api, Team(t), null, stop.Token))));
        try
        {
            await ConvergeAsync(table, "real", client, runs, baseline, writes: null, kubelet, plane.ResidentBytes,
                note: "operator process only; the control plane's own memory is the real_control_plane_rss row");
        }
        finally
        {
            await stop.CancelAsync();
            await kubelet;
        }
    }

    private static string Team(int i) => $"team-{i}";

    /// <summary>AGENTOPS_BENCH_LOG=1: the operator's warnings on stderr (what went wrong when a run does not converge).</summary>
    private static readonly ILoggerFactory Loggers = Environment.GetEnvironmentVariable("AGENTOPS_BENCH_LOG") == "1"
        ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning))
        : NullLoggerFactory.Instance;

    private async Task ConvergeAsync(BenchTable table, string server, KubeClient client, int runs, long baseline, Func<Task<long>>? writes,
        Task? kubelet, Func<long> controlPlaneBytes, string note)
    {
        await using var status = await StatusServer.StartAsync();
        using var metrics = new OperatorMetrics();
        using var http = new HttpClient();
        using var cleaner = new RedisRunStreamCleaner();
        long reconciles = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (ReferenceEquals(i.Meter, metrics.Meter) && i.Name == "agentops_operator_reconcile_total") l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref reconciles, v));
        listener.Start();
        for (var t = 0; t < 10; t++)
            try { await client.Api.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new() { Name = Team(t) } }); }
            catch (k8s.Autorest.HttpOperationException) { } // the fake has no namespaces; a real one may have it already

        var host = new OperatorHost(client, new OperatorHostOptions
        {
            Identity = "bench", TrainingRunWorkers = 4, SandboxPoolWorkers = 4,
            Reconcile = new ReconcileOptions { ProgressPollInterval = TimeSpan.FromMinutes(10) },
        }, new HttpTrainerProgressSource(http, (ns, run) => new Uri(status.Url, $"/status/{ns}/{run}")), cleaner,
            TimeProvider.System, Loggers, metrics);
        using var stop = new CancellationTokenSource();
        var running = host.RunAsync(stop.Token);
        await host.Synced;
        long OperatorWrites() => host.Context.Applier.Writes + host.Context.StatusWrites.Count;

        var template = Manifests.ParseTrainingRun(ManifestText("template")).GetValueOrThrow("bench");
        var clock = Stopwatch.StartNew();
        var serverWritesBefore = writes is null ? 0 : await writes();
        var writesBefore = OperatorWrites();
        await Parallel.ForEachAsync(Enumerable.Range(0, runs), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var run = template with { Metadata = new ObjectMeta { Name = $"run-{i:D4}", Namespace = Team(i % 10) } };
            await client.CreateAsync(ResourceType.TrainingRun, JsonNode.Parse(Manifests.ToJson(run))!.AsObject(), ct);
        });
        var created = clock.Elapsed.TotalSeconds;
        var limit = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("AGENTOPS_BENCH_CONVERGE_S"), out var l) ? l : 1800);
        int runningCount;
        while ((runningCount = host.Reflector(ResourceType.TrainingRun).Cache.List().Count(r => (string?)r["status"]?["phase"] == "Running")) < runs)
        {
            if (kubelet is { IsFaulted: true }) await kubelet;
            if (clock.Elapsed > limit)
            {
                table.Add(Name, $"{server}_running_at_limit", runningCount, "count", $"of {runs} runs Running after {limit.TotalSeconds:0} s");
                table.Add(Name, $"{server}_reconciles_at_limit", Interlocked.Read(ref reconciles), "count");
                await stop.CancelAsync();
                await running;
                throw new TimeoutException($"{server}: {runningCount} of {runs} runs Running after {limit.TotalSeconds:0} s");
            }
            await Task.Delay(500);
        }
        var converge = clock.Elapsed.TotalSeconds;
        var reconcilesToConverge = Interlocked.Read(ref reconciles);
        var operatorWrites = OperatorWrites() - writesBefore;
        var objects = new[] { ResourceType.TrainingRun, ResourceType.SandboxPool, ResourceType.Deployment, ResourceType.StatefulSet, ResourceType.Service,
            ResourceType.Secret, ResourceType.ConfigMap, ResourceType.NetworkPolicy, ResourceType.PersistentVolumeClaim }.Sum(t => host.Reflector(t).Cache.Count);
        var heap = Heap() - baseline;

        table.Add(Name, $"{server}_runs", runs, "count", "TrainingRuns created at once (16 concurrent POSTs)");
        table.Add(Name, $"{server}_create_seconds", created, "s");
        table.Add(Name, $"{server}_converge_seconds", converge, "s", server == "real"
            ? "until every run is Running: the controller-manager made the pods, the kubelet stand-in marked them Ready"
            : "until every run is Running (children ready in the fake)");
        table.Add(Name, $"{server}_reconciles", reconcilesToConverge, "count", "TrainingRun + SandboxPool reconciles to converge");
        table.Add(Name, $"{server}_reconciles_per_second", reconcilesToConverge / converge, "1/s", "4+4 workers, 2-core box");
        table.Add(Name, $"{server}_operator_writes", operatorWrites, "count", "applies, creates, deletes, status writes by the operator");
        if (writes is not null) table.Add(Name, $"{server}_api_writes", await writes() - serverWritesBefore, "count", "POST/PUT/PATCH/DELETE the server got (creates of runs and events included)");
        table.Add(Name, $"{server}_objects", objects, "count", "runs + children in the operator's caches");
        table.Add(Name, $"{server}_managed_heap", heap / 1048576.0, "MiB", note);
        table.Add(Name, $"{server}_working_set", Environment.WorkingSet / 1048576.0, "MiB", "this process");
        if (controlPlaneBytes() is > 0 and var cp) table.Add(Name, $"{server}_control_plane_rss", cp / 1048576.0, "MiB", "etcd + kube-apiserver + kube-controller-manager, resident");

        // Resync: every run and pool reconciled again against an unchanged world (what a relist triggers).
        var before = Interlocked.Read(ref reconciles);
        var writesBeforeResync = OperatorWrites();
        var resync = Stopwatch.StartNew();
        foreach (var r in host.Reflector(ResourceType.TrainingRun).Cache.List()) host.RunQueue.Add(r.Key());
        foreach (var p in host.Reflector(ResourceType.SandboxPool).Cache.List()) host.PoolQueue.Add(p.Key());
        while (Interlocked.Read(ref reconciles) - before < 2L * runs) await Task.Delay(20);
        table.Add(Name, $"{server}_resync_reconciles_per_second", 2.0 * runs / resync.Elapsed.TotalSeconds, "1/s", "no-op reconciles from the caches");
        table.Add(Name, $"{server}_resync_writes", OperatorWrites() - writesBeforeResync, "count", "must be 0: a converged world costs no write");

        await stop.CancelAsync();
        await running;
    }

    private static long Heap()
    {
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        return GC.GetTotalMemory(true);
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "AgentOps.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("AgentOps.sln not found");
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
