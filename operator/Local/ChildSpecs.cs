namespace AgentOps.Operator.Local;

/// <summary>
/// The command lines of a run's processes, from the plan. The one place that knows the trainer's, the
/// gateway's and the executor's flags (TEAM.md, "Contracts"). The bearer token goes in $AGENTOPS_TOKEN,
/// never on a command line that `ps` shows.
/// </summary>
public static class ChildSpecs
{
    public static readonly TimeSpan TrainerGrace = TimeSpan.FromSeconds(90);
    public static readonly TimeSpan WorkerGrace = TimeSpan.FromSeconds(15);

    public static ChildSpec Redis(LocalRunPlan plan) => new(
        "redis", new LaunchCommand(RuntimeDetector.FindOnPath("redis-server") ?? "redis-server", []),
        ["--port", plan.Queue.RedisPort.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", Path.Combine(plan.RunDir, "redis"), "--protected-mode", "no"],
        StopOrder: 3, WorkerGrace);

    public static ChildSpec Trainer(LocalRunPlan plan, string token, string? directory = null)
    {
        var args = new List<string>
        {
            "--manifest", plan.Manifest.Path, "--run-dir", plan.RunDir,
            "--grpc-port", plan.TrainerGrpcPort.ToString(), "--metrics-port", plan.TrainerMetricsPort.ToString(),
        };
        if (plan.Queue.Kind != "in-process") args.AddRange(["--redis", plan.Queue.RedisUrl]);
        return new ChildSpec("trainer", LocalBinaries.Find("agentops-trainer", directory), args, StopOrder: 0, TrainerGrace,
            new Dictionary<string, string>
            {
                ["AGENTOPS_INGEST_TOKEN"] = token,
                // libtorch frees on other threads than it allocates: without a cap glibc grows 64 MiB arenas per thread.
                ["MALLOC_ARENA_MAX"] = "2",
            });
    }

    public static ChildSpec Gateway(LocalRunPlan plan, string token, string? directory = null) => new(
        "gateway", LocalBinaries.Find("agentops-gateway", directory),
        ["--redis", plan.Queue.RedisUrl, "--run", plan.Manifest.Name, "--token-file", plan.TokenPath,
         "--port", plan.GatewayGrpcPort.ToString(), "--metrics-port", plan.GatewayMetricsPort.ToString(),
         "--max-backlog", plan.Manifest.QueueMaxBacklog.ToString(), "--max-length", plan.Manifest.QueueMaxLength.ToString(),
         "--environments", plan.Manifest.Environment],
        StopOrder: 2, WorkerGrace,
        new Dictionary<string, string> { [Reconcile.TrainingRunChildren.GatewayGcVariable] = Reconcile.TrainingRunChildren.GatewayGcValue });

    /// <summary>An executor; with spec.export.sftJsonl it writes its kept trajectories into the run folder (--export-dir).</summary>
    public static ChildSpec Executor(LocalRunPlan plan, int index, string token, string? directory = null)
    {
        List<string> args =
        [
            "executor", "--manifest", plan.Manifest.Path, "--policy", plan.PolicyUrl, "--gateway", plan.IngestUrl,
            "--metrics-port", plan.ExecutorMetricsPorts[index].ToString(), "--runtime", plan.Runtime.Runtime,
            "--executor", $"executor-{index}",
        ];
        if (plan.Manifest.ExportSftJsonl) args.AddRange(["--export-dir", plan.ExportDir]);
        return new ChildSpec($"executor-{index}", LocalBinaries.Find("agentops-workers", directory), args,
            StopOrder: 1, WorkerGrace, new Dictionary<string, string> { ["AGENTOPS_TOKEN"] = token });
    }
}
