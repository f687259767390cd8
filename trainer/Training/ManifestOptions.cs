using AgentOps.Protos.Api;

namespace AgentOps.Trainer.Training;

/// <summary>The one place that reads the TrainingRun manifest: maps the parts the trainer uses onto <see cref="TrainerOptions"/>.</summary>
public static class ManifestOptions
{
    public static TrainerOptions From(TrainingRun run, TrainerOptions defaults)
    {
        var s = run.Spec;
        return defaults with
        {
            RunId = run.Metadata.Name,
            RedisUrl = defaults.RedisUrl.Length > 0 ? defaults.RedisUrl : s.Queue.RedisUrl,
            Seed = s.Environment.Seed,
            Device = s.Trainer.Device,
            Preset = s.Policy.Preset,
            InitCheckpoint = s.Policy.Checkpoint,
            MaxContextTokens = s.Agent.MaxContextTokens,
            SftEnabled = s.Policy.Sft.Enabled,
            SftSteps = s.Policy.Sft.Steps,
            SftBatchSize = s.Policy.Sft.BatchSize,
            SftLearningRate = s.Policy.Sft.LearningRate,
            SftDemonstrations = s.Policy.Sft.Demonstrations,
            SftWarmupSteps = s.Policy.Sft.WarmupSteps,
            SftTargetLoss = s.Policy.Sft.TargetLoss,
            Algorithm = s.Algorithm.Name,
            RlSteps = s.Algorithm.Steps,
            TasksPerStep = s.Environment.TasksPerStep,
            GroupSize = s.Algorithm.GroupSize,
            LearningRate = s.Algorithm.LearningRate,
            WarmupSteps = s.Algorithm.WarmupSteps,
            KlCoef = s.Algorithm.KlCoef,
            ClipRange = s.Algorithm.ClipRange,
            MaxStaleness = s.Algorithm.MaxStaleness,
            GroupFilter = s.Algorithm.GroupFilter,
            PpoValueCoef = s.Algorithm.Ppo.ValueCoef,
            PpoGamma = s.Algorithm.Ppo.Gamma,
            PpoLambda = s.Algorithm.Ppo.Lambda,
            CheckpointEverySteps = s.Checkpoint.EverySteps,
            CheckpointKeep = s.Checkpoint.Keep,
            MaxBacklog = s.Queue.MaxBacklog,
        };
    }
}
