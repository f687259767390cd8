namespace AgentOps.Trainer.Training;

/// <summary>
/// Every knob of a training run, CleanRL style: named, with a default. Program.cs maps the TrainingRun
/// manifest and the command-line flags onto this record; nothing else reads the manifest.
/// </summary>
public sealed record TrainerOptions
{
    // Process
    public string RunDir { get; init; } = "runs/default";
    public string RunId { get; init; } = "default";
    public int GrpcPort { get; init; } = 50051;
    public int MetricsPort { get; init; } = 9100;
    /// <summary>Empty: in-process queue plus the embedded TrajectoryIngest on the gRPC port.</summary>
    public string RedisUrl { get; init; } = "";
    /// <summary>Bearer token the embedded TrajectoryIngest requires (empty: none).</summary>
    public string IngestToken { get; init; } = "";
    /// <summary>The embedded ingest answers RESOURCE_EXHAUSTED above this many unconsumed trajectories.</summary>
    public long MaxBacklog { get; init; } = 10_000;
    /// <summary>Serve a checkpoint's policy only (evaluation): no queue, no training.</summary>
    public bool ServeOnly { get; init; }
    /// <summary>The checkpoint folder <see cref="ServeOnly"/> serves.</summary>
    public string ServeCheckpoint { get; init; } = "";
    /// <summary>After the last step, keep serving (phase "done") this long so executors see it, then exit.</summary>
    public TimeSpan LingerAfterDone { get; init; } = TimeSpan.FromSeconds(10);
    public int Seed { get; init; } = 1;
    /// <summary>Where tensors live (spec.trainer.device): "cpu" or "cuda" (cuda:0).</summary>
    public string Device { get; init; } = "cpu";

    // Model
    public string Preset { get; init; } = "tiny";
    /// <summary>Start from this checkpoint folder instead of a random initialisation.</summary>
    public string InitCheckpoint { get; init; } = "";
    public int MaxContextTokens { get; init; } = 512;

    // SFT cold start (ReTool)
    public bool SftEnabled { get; init; } = true;
    public int SftSteps { get; init; } = 300;
    public int SftBatchSize { get; init; } = 32;
    public double SftLearningRate { get; init; } = 3e-3;
    /// <summary>Size of the SFT data set collected once and trained on for several epochs; 0 = fresh demonstrations every step.</summary>
    public int SftDemonstrations { get; init; }
    /// <summary>Linear warmup of the cold start (spec.policy.sft.warmupSteps).</summary>
    public int SftWarmupSteps { get; init; } = 10;
    /// <summary>The cold start ends once the mean loss of the last <see cref="SftLossTarget.Window"/> steps is at or
    /// below this (spec.policy.sft.targetLoss); <see cref="SftSteps"/> is then a cap. 0 = off.</summary>
    public double SftTargetLoss { get; init; }

    // RL
    public string Algorithm { get; init; } = "grpo";
    public int RlSteps { get; init; } = 100;
    public int TasksPerStep { get; init; } = 8;
    public int GroupSize { get; init; } = 8;
    public double LearningRate { get; init; } = 1e-3;
    public int WarmupSteps { get; init; } = 10;
    public double KlCoef { get; init; }
    public double ClipRange { get; init; } = 0.2;
    public int MaxStaleness { get; init; } = 1;
    public bool GroupFilter { get; init; } = true;
    /// <summary>With the group filter: after this many batches' worth of groups in a row were all filtered, step anyway (DAPO's bounded regeneration).</summary>
    public int MaxFilteredBatches { get; init; } = 3;
    public double PpoValueCoef { get; init; } = 0.5;
    public double PpoGamma { get; init; } = 1.0;
    public double PpoLambda { get; init; } = 0.95;

    /// <summary>Padded tokens per forward/backward pass on the CPU; 0 = the whole batch at once. Measured (tiny preset,
    /// 300-token rows): 32 rows took 1.2 s, 48 rows 5.7 s and 64 rows 8-12 s, so a larger batch is cut into parts of
    /// this size whose gradients accumulate before the one optimiser step.</summary>
    public int MicroBatchTokens { get; init; } = 8192;

    /// <summary>On the CPU, the padded positions a further part must save before the batch is cut again
    /// (<see cref="Rollout.TrainingBatch.Parts"/>): a forward/backward pass has a fixed cost of a few milliseconds
    /// for the tiny preset, about what a few hundred positions cost.</summary>
    public int PartOverheadTokens { get; init; } = 256;

    // Optimiser
    public double WeightDecay { get; init; } = 0.0;
    public double MaxGradNorm { get; init; } = 1.0;

    // Checkpoints
    public int CheckpointEverySteps { get; init; } = 50;
    public int CheckpointKeep { get; init; } = 3;

    // Consumption
    /// <summary>Entries read from the queue per call.</summary>
    public int ReadBatch { get; init; } = 64;
    /// <summary>Entries pending longer than this on a dead consumer are reclaimed.</summary>
    public TimeSpan ReclaimIdle { get; init; } = TimeSpan.FromSeconds(60);

    // Serving
    /// <summary>Concurrent Generate calls are gathered for at most this long into one batched generation.</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(10);
    public int MaxGenerateBatch { get; init; } = 64;

    /// <summary>Derived: SFT steps run at most (0 when disabled; fewer when <see cref="SftTargetLoss"/> is reached). "sft" as the algorithm runs SFT throughout.</summary>
    public int SftPhaseSteps => Algorithm == "sft" ? (SftEnabled ? SftSteps : 0) + RlSteps : SftEnabled ? SftSteps : 0;

    /// <summary>Derived: RL steps actually run.</summary>
    public int RlPhaseSteps => Algorithm == "sft" ? 0 : RlSteps;

    public int TotalSteps => SftPhaseSteps + RlPhaseSteps;

    /// <summary>Derived: trajectories an RL step trains on (tasksPerStep groups of groupSize).</summary>
    public int TrajectoriesPerRlStep => TasksPerStep * GroupSize;
}
