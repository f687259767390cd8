namespace AgentOps.Operator.Local;

/// <summary>The sandbox runtime the executors will use, and the reason it was chosen.</summary>
public sealed record RuntimeChoice(string Runtime, string Reason, bool IsFallback);

/// <summary>The queue: the trainer's in-process queue, a Redis URL given, or a redis-server we start.</summary>
public sealed record QueueChoice(string Kind, string RedisUrl, bool StartRedis, int RedisPort);

/// <summary>Everything `agentops run` will do, computed before anything starts (printed, then executed).</summary>
public sealed record LocalRunPlan(
    RunManifest Manifest,
    string RunDir,
    bool Resuming,
    string? ResumeFrom,
    RuntimeChoice Runtime,
    QueueChoice Queue,
    int TrainerGrpcPort,
    int TrainerMetricsPort,
    int GatewayGrpcPort,
    int GatewayMetricsPort,
    IReadOnlyList<int> ExecutorMetricsPorts,
    IReadOnlyList<string> Phases)
{
    public string LogDir => Path.Combine(RunDir, "logs");
    public string TokenPath => Path.Combine(RunDir, "token");
    public string ManifestCopy => Path.Combine(RunDir, "manifest.yaml");
    /// <summary>spec.export.sftJsonl: each executor's kept trajectories (sft-executor-N.jsonl), merged into <see cref="SftJsonl"/>.</summary>
    public string ExportDir => Path.Combine(RunDir, "export");
    public string SftJsonl => Path.Combine(RunDir, "sft.jsonl");
    public string PolicyUrl => $"http://127.0.0.1:{TrainerGrpcPort}";
    public string StatusUrl => $"http://127.0.0.1:{TrainerMetricsPort}/status";

    /// <summary>Embedded mode: the trainer hosts the ingest service on its gRPC port; else the gateway.</summary>
    public string IngestUrl => Queue.Kind == "in-process" ? PolicyUrl : $"http://127.0.0.1:{GatewayGrpcPort}";
}
