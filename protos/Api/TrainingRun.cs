namespace AgentOps.Protos.Api;

/// <summary>
/// <c>agentops.dev/v1alpha1 TrainingRun</c>: one RL training run (TEAM.md, "The TrainingRun manifest").
/// Every process reads its part of the same manifest; property initialisers are the defaults.
/// </summary>
public sealed record TrainingRun
{
    [RequiredField] public string ApiVersion { get; init; } = ApiConstants.ApiVersion;
    [RequiredField] public string Kind { get; init; } = ApiConstants.TrainingRunKind;
    [RequiredField] public ObjectMeta Metadata { get; init; } = new();
    [RequiredField] public TrainingRunSpec Spec { get; init; } = new();
    public TrainingRunStatus? Status { get; init; }
}

public sealed record TrainingRunSpec
{
    [RequiredField] public EnvironmentSpec Environment { get; init; } = new();
    public AgentSpec Agent { get; init; } = new();
    public PolicySpec Policy { get; init; } = new();
    public AlgorithmSpec Algorithm { get; init; } = new();
    public SandboxSpec Sandbox { get; init; } = new();
    public TrainerSpec Trainer { get; init; } = new();
    public QueueSpec Queue { get; init; } = new();
    public CheckpointSpec Checkpoint { get; init; } = new();
    public ExportSpec Export { get; init; } = new();
    /// <summary>True: executors scale to zero, the trainer stops; the checkpoint is kept.</summary>
    public bool Suspend { get; init; }
}

public sealed record EnvironmentSpec
{
    [RequiredField, OneOf("environment", "arithmetic", "countdown", "tools", "multihop-qa", "cat")]
    public string Name { get; init; } = "";
    [Bounds(0, int.MaxValue)] public int Seed { get; init; } = 1;
    /// <summary>Prompts per RL step; each is sampled <see cref="AlgorithmSpec.GroupSize"/> times.</summary>
    [Bounds(1, 1024)] public int TasksPerStep { get; init; } = 8;
    /// <summary>False: text-only answers (the ReTool comparison).</summary>
    public bool Interpreter { get; init; } = true;
    /// <summary>Environment-specific generator knobs; only the keys the environment reads
    /// (<see cref="EnvironmentSettingsSchema"/>), any other is a manifest error.</summary>
    public Dictionary<string, string> Settings { get; init; } = [];
    public EvalSpec Eval { get; init; } = new();
}

/// <summary>The held-out tasks: <see cref="Tasks"/> distinct tasks from the eval seed's own stream, none of them (nor
/// their worlds) ever a training task; an environment whose settings leave fewer refuses the run at start.</summary>
public sealed record EvalSpec
{
    [Bounds(1, 100000)] public int Tasks { get; init; } = 200;
    [Bounds(0, int.MaxValue)] public int Seed { get; init; } = 100000;
}

public sealed record AgentSpec
{
    [Bounds(1, 64)] public int MaxTurns { get; init; } = 4;
    [Bounds(1, 8192)] public int MaxNewTokens { get; init; } = 96;
    [Bounds(16, 32768)] public int MaxContextTokens { get; init; } = 512;
    [Bounds(0, 10)] public double Temperature { get; init; } = 1.0;
    [Bounds(0, 1)] public double TopP { get; init; } = 1.0;
}

public sealed record PolicySpec
{
    [OneOf("preset", "tiny", "small")] public string Preset { get; init; } = "tiny";
    /// <summary>Start from this checkpoint folder instead of a random init ("" = random).</summary>
    public string Checkpoint { get; init; } = "";
    public SftSpec Sft { get; init; } = new();
}

public sealed record SftSpec
{
    public bool Enabled { get; init; } = true;
    [Bounds(0, 1000000)] public int Steps { get; init; } = 300;
    [Bounds(1, 4096)] public int BatchSize { get; init; } = 32;
    [Bounds(0, 1)] public double LearningRate { get; init; } = 3e-3;
    /// <summary>Steps of linear warmup from 0 to <see cref="LearningRate"/> at the start of SFT.</summary>
    [Bounds(0, 1000000)] public int WarmupSteps { get; init; } = 10;
    /// <summary>The SFT data set: this many reference episodes are collected once (kept in the run folder) and
    /// trained on for steps × batchSize / demonstrations epochs, ReTool's cold start. 0: fresh demonstrations
    /// for every step (steps × batchSize episodes in all).</summary>
    [Bounds(0, 10000000)] public int Demonstrations { get; init; }
    /// <summary>End the cold start early: at the first step where the mean training loss of the last 10 steps is at
    /// or below this, RL begins (<see cref="Steps"/> is then the most SFT steps). 0: always run every step.</summary>
    [Bounds(0, 100)] public double TargetLoss { get; init; }
}

public sealed record AlgorithmSpec
{
    [OneOf("algorithm", "grpo", "reinforce++", "ppo", "sft")] public string Name { get; init; } = "grpo";
    [Bounds(0, 1000000)] public int Steps { get; init; } = 100;
    [Bounds(2, 64)] public int GroupSize { get; init; } = 8;
    [Bounds(0, 1)] public double LearningRate { get; init; } = 1e-3;
    [Bounds(0, 1000000)] public int WarmupSteps { get; init; } = 10;
    [Bounds(0, 10)] public double KlCoef { get; init; } = 0.0;
    [Bounds(0, 1)] public double ClipRange { get; init; } = 0.2;
    [Bounds(0, 64)] public int MaxStaleness { get; init; } = 1;
    /// <summary>Drop groups whose rewards are all equal (DAPO dynamic sampling).</summary>
    public bool GroupFilter { get; init; } = true;
    public PpoSpec Ppo { get; init; } = new();
}

public sealed record PpoSpec
{
    [Bounds(0, 10)] public double ValueCoef { get; init; } = 0.5;
    [Bounds(0, 1)] public double Gamma { get; init; } = 1.0;
    [Bounds(0, 1)] public double Lambda { get; init; } = 0.95;
}

public sealed record SandboxSpec
{
    /// <summary>An existing SandboxPool in the run's namespace; "" = the operator makes an inline pool from the fields below.</summary>
    public string PoolRef { get; init; } = "";
    [OneOf("runtime", "gvisor", "process")] public string Runtime { get; init; } = "gvisor";
    /// <summary>Executor processes (pods).</summary>
    [Bounds(0, 1000)] public int Replicas { get; init; } = 2;
    [Bounds(0, 64)] public int WarmPerReplica { get; init; } = 2;
    public SandboxLimits Limits { get; init; } = new();
}

public sealed record SandboxLimits
{
    [Bounds(16, 65536)] public int MemoryMiB { get; init; } = 256;
    [Bounds(0.1, 64)] public double Cpus { get; init; } = 1;
    [Bounds(8, 65536)] public int Pids { get; init; } = 64;
    [Bounds(0.1, 3600)] public double CellTimeoutSeconds { get; init; } = 5;
    [Bounds(1, 86400)] public double EpisodeTimeoutSeconds { get; init; } = 60;
    [Bounds(1024, 67108864)] public int OutputBytes { get; init; } = 65536;
}

public sealed record TrainerSpec
{
    /// <summary>Container image of the trainer; "" = the operator's default image.</summary>
    public string Image { get; init; } = "";
    /// <summary>Where the trainer computes: "cpu", or "cuda" (its first GPU; the operator requests
    /// <c>nvidia.com/gpu</c> with it, and the trainer fails at start when no GPU is usable).</summary>
    [OneOf("device", "cpu", "cuda")] public string Device { get; init; } = "cpu";
    public TrainerResources Resources { get; init; } = new();
}

public sealed record TrainerResources
{
    [Quantity] public string Cpu { get; init; } = "2";
    [Quantity] public string Memory { get; init; } = "4Gi";
    /// <summary>GPUs requested as <c>nvidia.com/gpu</c> when <see cref="TrainerSpec.Device"/> is "cuda" (0 there
    /// means 1); must stay 0 with "cpu".</summary>
    [Bounds(0, 16)] public int Gpu { get; init; }
}

public sealed record QueueSpec
{
    /// <summary>"" = the operator runs a Redis StatefulSet for the run (locally: the in-process queue).</summary>
    public string RedisUrl { get; init; } = "";
    [Bounds(1, 100000000)] public int MaxBacklog { get; init; } = 10000;
    [Bounds(1, 100000000)] public int MaxLength { get; init; } = 100000;
}

public sealed record CheckpointSpec
{
    [Bounds(1, 1000000)] public int EverySteps { get; init; } = 50;
    [Bounds(1, 1000)] public int Keep { get; init; } = 3;
}

/// <summary>LAM SIMULATOR's export: the policy's own RL episodes (never scripted demonstrations, never held-out
/// episodes) that were answered, well-formed and rewarded at least <see cref="MinReward"/>, as chat JSONL.</summary>
public sealed record ExportSpec
{
    /// <summary>Write the export: RUN_DIR/sft.jsonl under <c>agentops run</c>; executors write it with <c>--export-dir DIR</c>.</summary>
    public bool SftJsonl { get; init; }
    [Bounds(-1000000, 1000000)] public double MinReward { get; init; } = 1.0;
}

/// <summary>Written by the operator only (status subresource).</summary>
[OpenFields]
public sealed record TrainingRunStatus
{
    /// <summary>Pending | Running | Suspended | Succeeded | Failed.</summary>
    public string? Phase { get; init; }
    public long? ObservedGeneration { get; init; }
    public long? Step { get; init; }
    public long? TotalSteps { get; init; }
    public long? PolicyVersion { get; init; }
    public double? MeanReward { get; init; }
    public double? SuccessRate { get; init; }
    public long? TrajectoriesIngested { get; init; }
    public string? StartTime { get; init; }
    public string? CompletionTime { get; init; }
    public List<Condition>? Conditions { get; init; }
}
