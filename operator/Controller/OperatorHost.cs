using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Reconcile;
using AgentOps.Protos.Api;
using Microsoft.Extensions.Logging;

namespace AgentOps.Operator.Controller;

/// <summary>Settings of one operator process.</summary>
public sealed record OperatorHostOptions
{
    /// <summary>Watch only this namespace; null = all namespaces (cluster-wide RBAC).</summary>
    public string? Namespace { get; init; }
    public int TrainingRunWorkers { get; init; } = 2;
    public int SandboxPoolWorkers { get; init; } = 2;
    public ReconcileOptions Reconcile { get; init; } = new();
    public int Seed { get; init; } = 1;
    /// <summary>Names this replica in events and the leader lease.</summary>
    public string Identity { get; init; } = LeaderIdentity.Default();
}

/// <summary>
/// Wires the controller machinery (controller-runtime's Manager): one reflector per kind feeding caches,
/// event handlers that map a changed child to its owner's key (ownerReferences) and only enqueue, two
/// rate-limited work queues, and the TrainingRun and SandboxPool controllers with their workers.
/// </summary>
public sealed class OperatorHost
{
    private static readonly ResourceType[] ChildTypes =
    [
        ResourceType.Deployment, ResourceType.StatefulSet, ResourceType.Service, ResourceType.Secret,
        ResourceType.ConfigMap, ResourceType.NetworkPolicy, ResourceType.PersistentVolumeClaim,
    ];

    private readonly OperatorHostOptions _options;
    private readonly Dictionary<ResourceType, Reflector> _reflectors = [];
    private readonly Controller _runs;
    private readonly Controller _pools;

    public OperatorHost(KubeClient client, OperatorHostOptions options, ITrainerProgressSource progress, IRunStreamCleaner cleaner,
        TimeProvider time, ILoggerFactory loggers, OperatorMetrics metrics)
    {
        _options = options;
        var random = new Random(options.Seed);
        var logger = loggers.CreateLogger("AgentOps.Operator");
        _reflectors[ResourceType.TrainingRun] = new Reflector(client, ResourceType.TrainingRun, options.Namespace, null, time, random, logger);
        _reflectors[ResourceType.SandboxPool] = new Reflector(client, ResourceType.SandboxPool, options.Namespace, null, time, random, logger);
        foreach (var type in ChildTypes)
            _reflectors[type] = new Reflector(client, type, options.Namespace, Names.ManagedSelector, time, random, logger);

        var view = new ClusterView(_reflectors.ToDictionary(r => r.Key, r => r.Value.Cache));
        Context = new ReconcileContext(client, view, new ChildApplier(client, view), new EventRecorder(client, time, options.Identity),
            time, options.Reconcile, progress, cleaner);
        RunQueue = new WorkQueue<ObjectKey>("trainingrun", RateLimiters.DefaultController<ObjectKey>(time), time, metrics);
        PoolQueue = new WorkQueue<ObjectKey>("sandboxpool", RateLimiters.DefaultController<ObjectKey>(time), time, metrics);
        _runs = new Controller(new TrainingRunReconciler(Context), RunQueue, metrics, logger);
        _pools = new Controller(new SandboxPoolReconciler(Context), PoolQueue, metrics, logger);

        _reflectors[ResourceType.TrainingRun].OnChange += (_, o) =>
        {
            RunQueue.Add(o.Key());
            // A standalone pool (spec.trainingRun "") serves the run that references it: wake it too.
            if ((string?)o["spec"]?["sandbox"]?["poolRef"] is { Length: > 0 } pool) PoolQueue.Add(new ObjectKey(o.Namespace(), pool));
        };
        _reflectors[ResourceType.SandboxPool].OnChange += (_, o) =>
        {
            PoolQueue.Add(o.Key());
            EnqueueOwner(o);
            // A run that references this pool (spec.sandbox.poolRef) reads its readiness.
            if ((string?)o["spec"]?["trainingRun"] is { Length: > 0 } run) RunQueue.Add(new ObjectKey(o.Namespace(), run));
        };
        foreach (var type in ChildTypes) _reflectors[type].OnChange += (_, o) => EnqueueOwner(o);
    }

    public ReconcileContext Context { get; }
    public WorkQueue<ObjectKey> RunQueue { get; }
    public WorkQueue<ObjectKey> PoolQueue { get; }
    public Reflector Reflector(ResourceType type) => _reflectors[type];

    /// <summary>Completes once every informer has listed (client-go WaitForCacheSync).</summary>
    public Task Synced => Task.WhenAll(_reflectors.Values.Select(r => r.Synced));

    /// <summary>client-go handler.EnqueueRequestForOwner: a child's change wakes its controller owner.</summary>
    private void EnqueueOwner(JsonObject child)
    {
        var owner = (child["metadata"]?["ownerReferences"] as JsonArray)?.FirstOrDefault(r => (bool?)r?["controller"] == true);
        if (owner is null) return;
        var key = new ObjectKey(child.Namespace(), (string?)owner["name"] ?? "");
        switch ((string?)owner["kind"])
        {
            case ApiConstants.TrainingRunKind: RunQueue.Add(key); break;
            case ApiConstants.SandboxPoolKind: PoolQueue.Add(key); break;
        }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var reflectors = _reflectors.Values.Select(r => Task.Run(() => r.RunAsync(ct), CancellationToken.None)).ToList();
        try
        {
            await Synced.WaitAsync(ct);
            // Workers start only on synced caches, so a reconcile never acts on a half-listed world.
            await Task.WhenAll(_runs.RunAsync(_options.TrainingRunWorkers, ct), _pools.RunAsync(_options.SandboxPoolWorkers, ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        finally
        {
            RunQueue.ShutDown();
            PoolQueue.ShutDown();
            await Task.WhenAll(reflectors);
        }
    }
}
