using System.CommandLine;
using AgentOps.Operator.Commands;
using AgentOps.Operator.Local;

namespace AgentOps.Operator.Cli;

/// <summary>`agentops operator`: the chart's flags (charts/agentops/templates/deployment.yaml) mapped onto OperatorOptions.</summary>
public static class OperatorCliCommand
{
    public static Command Create()
    {
        var defaults = new OperatorOptions();
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "kubeconfig file (default: $KUBECONFIG, then in-cluster, then ~/.kube/config)" };
        var ns = new Option<string>("--namespace") { Description = "Watch one namespace (default: all; needs the chart's ClusterRole)" };
        var metricsPort = new Option<int>("--metrics-port") { Description = "/metrics, /healthz, /readyz (0 = a free port)", DefaultValueFactory = _ => defaults.MetricsPort };
        var metricsBind = new Option<string>("--metrics-bind") { Description = "Address the metrics port listens on (0.0.0.0: every interface, so Prometheus can scrape the pod; 127.0.0.1 behind a proxy)", DefaultValueFactory = _ => "0.0.0.0" };
        var leaderElect = new Option<bool>("--leader-elect") { Description = "Campaign for the Lease agentops-operator before reconciling (--leader-elect=false: reconcile at once)", DefaultValueFactory = _ => true };
        var leaseNs = new Option<string>("--leader-election-namespace") { Description = "Namespace of the Lease (default: the kubeconfig/service-account namespace)" };
        var workers = new Option<int>("--workers") { Description = "Concurrent reconciles per kind", DefaultValueFactory = _ => defaults.Workers };
        var workerImage = new Option<string>("--worker-image") { Description = "Image of agentops-workers and agentops-gateway (executor and gateway pods)", DefaultValueFactory = _ => defaults.WorkerImage };
        var trainerImage = new Option<string>("--trainer-image") { Description = "Image of agentops-trainer", DefaultValueFactory = _ => defaults.TrainerImage };
        var redisImage = new Option<string>("--redis-image") { Description = "Image of the per-run Redis", DefaultValueFactory = _ => defaults.RedisImage };
        var command = new Command("operator", "Reconcile TrainingRun and SandboxPool objects on Kubernetes (identity: $POD_NAME, else host name + a UUID)")
        {
            kubeconfig, ns, metricsPort, metricsBind, leaderElect, leaseNs, workers, workerImage, trainerImage, redisImage,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var port = parse.GetValue(metricsPort);
            if (port is < 0 or > 65535) return Invalid($"--metrics-port: must be between 0 and 65535, got {port}");
            if (!System.Net.IPAddress.TryParse(parse.GetValue(metricsBind), out var bind))
                return Invalid($"--metrics-bind: must be an IP address such as 0.0.0.0 or 127.0.0.1, got \"{parse.GetValue(metricsBind)}\"");
            var n = parse.GetValue(workers);
            if (n is < 1 or > 64) return Invalid($"--workers: must be between 1 and 64, got {n}");
            foreach (var (name, option) in new[] { ("--worker-image", workerImage), ("--trainer-image", trainerImage), ("--redis-image", redisImage) })
                if (string.IsNullOrWhiteSpace(parse.GetValue(option))) return Invalid($"{name}: must not be empty, got \"{parse.GetValue(option)}\"");
            var options = defaults with
            {
                Kubeconfig = NullIfEmpty(parse.GetValue(kubeconfig)),
                Namespace = NullIfEmpty(parse.GetValue(ns)),
                MetricsPort = port,
                MetricsBind = bind,
                LeaderElect = parse.GetValue(leaderElect),
                LeaderElectionNamespace = NullIfEmpty(parse.GetValue(leaseNs)),
                Workers = n,
                WorkerImage = parse.GetValue(workerImage)!,
                TrainerImage = parse.GetValue(trainerImage)!,
                RedisImage = parse.GetValue(redisImage)!,
            };
            try
            {
                return await OperatorCommand.RunAsync(options, cancellationToken);
            }
            catch (InvalidOperationException e) when (!cancellationToken.IsCancellationRequested)
            {
                // Kubeconfig errors (no config, no current-context, unknown cluster) name the file and the entry.
                Console.Error.WriteLine($"error: {e.Message}");
                return LocalRunner.ExitFailed;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException && !cancellationToken.IsCancellationRequested)
            {
                // A missing/unreadable kubeconfig, or the metrics port already taken.
                Console.Error.WriteLine($"error: {e.Message}");
                return LocalRunner.ExitFailed;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return LocalRunner.ExitOk;
            }
        });
        return command;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static int Invalid(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return LocalRunner.ExitInvalid;
    }
}
