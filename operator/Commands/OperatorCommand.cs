using AgentOps.Operator.Controller;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Reconcile;
using AgentOps.Telemetry;
using Microsoft.Extensions.Logging;

namespace AgentOps.Operator.Commands;

/// <summary>Flags of <c>agentops operator</c> (team "mainjob" maps System.CommandLine options onto this record).</summary>
public sealed record OperatorOptions
{
    /// <summary>--kubeconfig FILE; null = $KUBECONFIG, then in-cluster, then ~/.kube/config (client-go order).</summary>
    public string? Kubeconfig { get; init; }
    /// <summary>--namespace NS: watch one namespace; null = all (needs the chart's ClusterRole).</summary>
    public string? Namespace { get; init; }
    /// <summary>--metrics-port N: /metrics, /healthz, /readyz. 0 = a free port.</summary>
    public int MetricsPort { get; init; } = 8080;
    /// <summary>--metrics-bind ADDRESS: where the metrics port listens (0.0.0.0 so Prometheus can scrape the pod; 127.0.0.1 behind a proxy).</summary>
    public System.Net.IPAddress MetricsBind { get; init; } = System.Net.IPAddress.Any;
    /// <summary>--leader-elect (default true): Lease agentops-operator in --leader-election-namespace.</summary>
    public bool LeaderElect { get; init; } = true;
    /// <summary>--leader-election-namespace NS; null = the pod's namespace (service account) or "default".</summary>
    public string? LeaderElectionNamespace { get; init; }
    /// <summary>--workers N per kind.</summary>
    public int Workers { get; init; } = 2;
    public string WorkerImage { get; init; } = new ReconcileOptions().WorkerImage;
    public string TrainerImage { get; init; } = new ReconcileOptions().TrainerImage;
    public string RedisImage { get; init; } = new ReconcileOptions().RedisImage;
    /// <summary>Identity in the lease and in events; default $POD_NAME, else host name + "_" + a UUID (unique per process).</summary>
    public string Identity { get; init; } = LeaderIdentity.Default();
}

/// <summary>
/// The body of <c>agentops operator</c>: connect (kubeconfig or in-cluster), serve metrics and probes,
/// campaign for the Lease, and while leading run the TrainingRun and SandboxPool controllers. Returns the
/// process exit code: 0 on cancellation, 1 when leadership was lost (the pod restarts and campaigns again,
/// as client-go's leaderelection recommends).
/// </summary>
public static class OperatorCommand
{
    public static async Task<int> RunAsync(OperatorOptions options, CancellationToken cancellationToken, ILoggerFactory? loggers = null)
    {
        loggers ??= LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));
        var logger = loggers.CreateLogger("AgentOps.Operator");
        var time = TimeProvider.System;
        var config = KubeConfig.Load(options.Kubeconfig);
        using var client = new KubeClient(config);
        using var metrics = new OperatorMetrics();
        using var cleaner = new RedisRunStreamCleaner();
        using var http = new HttpClient();
        var reconcile = new ReconcileOptions { WorkerImage = options.WorkerImage, TrainerImage = options.TrainerImage, RedisImage = options.RedisImage };
        var host = new OperatorHost(client, new OperatorHostOptions
        {
            Namespace = options.Namespace,
            TrainingRunWorkers = options.Workers,
            SandboxPoolWorkers = options.Workers,
            Reconcile = reconcile,
            Identity = options.Identity,
        }, new HttpTrainerProgressSource(http, HttpTrainerProgressSource.InCluster(reconcile)), cleaner, time, loggers, metrics);

        await using var metricsServer = new MetricsServer(new MetricsServerOptions { Port = options.MetricsPort, Address = options.MetricsBind });
        metricsServer.AddReadinessCheck("informers", _ => Task.FromResult(host.Synced.IsCompletedSuccessfully
            ? ReadinessResult.Ready("caches synced") : ReadinessResult.NotReady("informer caches not synced yet (or not the leader)")));
        await metricsServer.StartAsync(cancellationToken);
        OperatorLog.Started(logger, client.Server.ToString(), options.Namespace ?? "(all)", options.Identity, options.MetricsBind.ToString(), metricsServer.Port);

        if (!options.LeaderElect)
        {
            await host.RunAsync(cancellationToken);
            return 0;
        }
        var elector = new LeaderElector(client, new LeaderElectionOptions
        {
            LeaseName = "agentops-operator",
            LeaseNamespace = options.LeaderElectionNamespace ?? client.DefaultNamespace,
            Identity = options.Identity,
        }, time, new Random(), metrics, logger);
        try { await elector.RunAsync(host.RunAsync, cancellationToken); }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { return 0; }
        return cancellationToken.IsCancellationRequested ? 0 : 1;
    }
}

internal static partial class OperatorLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "agentops operator: API server {Server}, namespace {Namespace}, identity {Identity}, metrics on {MetricsBind}:{MetricsPort}")]
    public static partial void Started(ILogger logger, string server, string @namespace, string identity, string metricsBind, int metricsPort);
}
