namespace AgentOps.Operator.Reconcile;

/// <summary>Names, labels and annotations of everything the operator makes (app.kubernetes.io recommended labels).</summary>
public static class Names
{
    public const string LabelName = "app.kubernetes.io/name";
    public const string LabelInstance = "app.kubernetes.io/instance";
    public const string LabelComponent = "app.kubernetes.io/component";
    public const string LabelManagedBy = "app.kubernetes.io/managed-by";
    public const string LabelPartOf = "app.kubernetes.io/part-of";
    public const string LabelTrainingRun = "agentops.dev/training-run";
    public const string ManagedBy = "agentops-operator";
    /// <summary>Informers watch only objects with this label (client-go: label-selected informers keep memory bounded).</summary>
    public const string ManagedSelector = LabelManagedBy + "=" + ManagedBy;
    /// <summary>Hash of the desired child: a changed spec re-applies even fields the live object still matches.</summary>
    public const string DesiredHashAnnotation = "agentops.dev/desired-hash";
    /// <summary>On a TrainingRun: removes the run's Redis stream before the run goes.</summary>
    public const string StreamFinalizer = "agentops.dev/redis-stream";

    public static string Gateway(string run) => $"{run}-gateway";
    public static string Trainer(string run) => $"{run}-trainer";
    public static string Redis(string run) => $"{run}-redis";
    public static string Manifest(string run) => $"{run}-manifest";
    public static string IngestToken(string run) => $"{run}-ingest-token";
    public static string Checkpoints(string run) => $"{run}-checkpoints";
    public static string InlinePool(string run) => $"{run}-executors";
    public static string ExecutorDeployment(string pool) => $"{pool}-executor";
    public static string ExecutorNetworkPolicy(string pool) => $"{pool}-egress";
    /// <summary>The run's trajectory stream (team "queue": RedisTrajectoryQueue).</summary>
    public static string Stream(string run) => $"agentops:{run}:trajectories";
}
