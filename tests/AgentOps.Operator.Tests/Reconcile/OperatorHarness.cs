using System.Text.Json.Nodes;
using AgentOps.Operator.Controller;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Reconcile;
using AgentOps.Operator.Tests.Kube;
using AgentOps.Protos.Api;
using AgentOps.Testing.Kube;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Operator.Tests.Reconcile;

/// <summary>Settings of one harness.</summary>
public sealed record HarnessOptions
{
    public bool WithRedis { get; init; }
    /// <summary>Which pods the stand-in kubelet marks Ready (default: all of the test's namespace).</summary>
    public Func<V1Pod, bool>? PodsReady { get; init; } = _ => true;
    /// <summary>The operator's own credentials (default: the admin's). Bug 8's test runs it as the chart's ServiceAccount.</summary>
    public KubernetesClientConfiguration? OperatorConfig { get; init; }
    public ReconcileOptions Reconcile { get; init; } = new() { ProgressPollInterval = TimeSpan.FromMilliseconds(200) };
    public ILoggerFactory Loggers { get; init; } = NullLoggerFactory.Instance;
    public ITrainerProgressSource? Progress { get; init; }
}

/// <summary>
/// The operator host against the real control plane (kube-apiserver + controller-manager v1.28), scoped to a namespace
/// of its own, with a real trainer /status listener, optionally a real Redis, and pods marked Ready by a kubelet stand-in.
/// </summary>
public sealed class OperatorHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;
    private Task _kubelet = Task.CompletedTask;
    private readonly RedisRunStreamCleaner _cleaner = new();
    private readonly HttpClient _http = new();

    public string Ns { get; private set; } = "";
    /// <summary>The admin's client (what a user's kubectl does).</summary>
    public KubeClient Client { get; private set; } = null!;
    /// <summary>The operator's client (its own credentials).</summary>
    public KubeClient OperatorClient { get; private set; } = null!;
    public KubeControlPlane Plane { get; private set; } = null!;
    public TrainerStatusServer Trainers { get; private set; } = null!;
    public LocalRedisServer? Redis { get; private set; }
    public OperatorHost Host { get; private set; } = null!;
    public OperatorMetrics Metrics { get; } = new();
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private long _runReconciles, _poolReconciles;

    /// <summary>TrainingRun reconciles this harness's operator ran.</summary>
    public long RunReconciles => Interlocked.Read(ref _runReconciles);
    /// <summary>SandboxPool reconciles this harness's operator ran.</summary>
    public long PoolReconciles => Interlocked.Read(ref _poolReconciles);

    private void CountReconciles()
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (ReferenceEquals(i.Meter, Metrics.Meter) && i.Name == "agentops_operator_reconcile_total") l.EnableMeasurementEvents(i);
        };
        _listener.SetMeasurementEventCallback<long>((_, v, tags, _) =>
        {
            foreach (var t in tags)
                if (t.Key == "kind") Interlocked.Add(ref (string?)t.Value == ApiConstants.TrainingRunKind ? ref _runReconciles : ref _poolReconciles, v);
        });
        _listener.Start();
    }

    public static async Task<OperatorHarness> StartAsync(HarnessOptions? options = null, string prefix = "t")
    {
        options ??= new HarnessOptions();
        var h = new OperatorHarness();
        h.CountReconciles();
        h.Plane = await RealCluster.PlaneAsync();
        h.Ns = await RealCluster.NamespaceAsync(prefix);
        h.Client = new KubeClient(h.Plane.Config());
        h.OperatorClient = options.OperatorConfig is { } c ? new KubeClient(c) : new KubeClient(h.Plane.Config());
        h.Trainers = await TrainerStatusServer.StartAsync();
        if (options.WithRedis) h.Redis = await LocalRedisServer.StartAsync();
        h.Host = new OperatorHost(h.OperatorClient, new OperatorHostOptions
        {
            Namespace = h.Ns,
            Identity = "test-operator",
            Reconcile = options.Reconcile,
        }, options.Progress ?? new HttpTrainerProgressSource(h._http, h.Trainers.Resolver), h._cleaner, TimeProvider.System, options.Loggers, h.Metrics);
        h._running = h.Host.RunAsync(h._stop.Token);
        if (options.PodsReady is { } ready) h._kubelet = PodReadiness.RunAsync(h.Client.Api, h.Ns, ready, h._stop.Token);
        await h.Host.Synced.WaitAsync(TimeSpan.FromSeconds(60));
        return h;
    }

    public string RunYaml(string name, string extraSpec = "") => RunYaml(name, extraSpec, Ns);

    public static string RunYaml(string name, string extraSpec, string ns) => $"""
        apiVersion: agentops.dev/v1alpha1
        kind: TrainingRun
        metadata: {"{"} name: {name}, namespace: {ns} {"}"}
        spec:
          environment: {"{"} name: arithmetic, settings: {"{"} minOps: "2", maxOps: "4" {"}"} {"}"}
        {extraSpec}
        """;

    /// <summary>Creates a TrainingRun from YAML the way kubectl does (YAML to JSON, POST); the CRD's schema applies.</summary>
    public async Task<JsonObject> CreateRunAsync(string yaml) => await Client.CreateAsync(ResourceType.TrainingRun, YamlToJson(yaml), default);

    public async Task<JsonObject> CreateAsync(ResourceType type, string yaml) => await Client.CreateAsync(type, YamlToJson(yaml), default);

    /// <summary>What kubectl sends: YAML scalars typed by the YAML 1.2 core schema.</summary>
    public static JsonObject YamlToJson(string yaml) => ManifestInstaller.YamlToJson(yaml);

    public Task<JsonObject?> GetAsync(ResourceType type, string name) => Client.GetAsync(type, Ns, name, default);

    public async Task<JsonObject> WaitForAsync(ResourceType type, string name, Func<JsonObject, bool> condition, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await GetAsync(type, name);
            if (last is not null && condition(last)) return last;
            await Task.Delay(100);
        }
        throw new TimeoutException($"{type.Kind} {Ns}/{name} did not reach the condition in {seconds} s; last seen: {last?.ToJsonString()}");
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what}: not reached in {seconds} s");
            await Task.Delay(100);
        }
    }

    /// <summary>Writes the operator made (applies, creates, deletes, status writes).</summary>
    public long OperatorWrites => Host.Context.Applier.Writes + Host.Context.StatusWrites.Count;

    /// <summary>Waits until the work queues are empty and the operator wrote nothing for a while: the world has converged.</summary>
    public async Task WaitQuietAsync(int quietMs = 1500, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var last = OperatorWrites;
        var since = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            var now = OperatorWrites;
            if (now != last || Host.RunQueue.Count > 0 || Host.PoolQueue.Count > 0) { last = now; since = DateTime.UtcNow; continue; }
            if ((DateTime.UtcNow - since).TotalMilliseconds >= quietMs) return;
        }
        throw new TimeoutException($"the operator kept writing for {seconds} s");
    }

    public async Task<IReadOnlyList<Eventsv1Event>> EventsAsync() => (await Client.Api.EventsV1.ListNamespacedEventAsync(Ns)).Items.ToList();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _running.WaitAsync(TimeSpan.FromSeconds(30)); } catch (OperationCanceledException) { }
        try { await _kubelet.WaitAsync(TimeSpan.FromSeconds(10)); } catch (OperationCanceledException) { }
        try { await Client.Api.CoreV1.DeleteNamespaceAsync(Ns); } catch (k8s.Autorest.HttpOperationException) { }
        Client.Dispose();
        OperatorClient.Dispose();
        await Trainers.DisposeAsync();
        _cleaner.Dispose();
        _http.Dispose();
        Redis?.Dispose();
        _listener.Dispose();
        Metrics.Dispose();
    }
}
