namespace AgentOps.Trainer.Training;

/// <summary>One line of RUN_DIR/metrics.jsonl: the step, its phase, when, and its metrics (CleanRL-prefixed names).</summary>
public sealed record StepReport(long Step, string Phase, double Time, IReadOnlyDictionary<string, double> Metrics);

/// <summary>The metric names written to metrics.jsonl (the contract in TEAM.md, plus a few more).</summary>
public static class MetricNames
{
    public const string LossTotal = "loss/total";
    public const string LossPolicy = "loss/policy";
    public const string LossKl = "loss/kl";
    public const string LossValue = "loss/value";
    public const string RewardMean = "rollout/reward_mean";
    public const string RewardStd = "rollout/reward_std";
    /// <summary>Success over the trajectories trained on this step (after the group filter).</summary>
    public const string SuccessRate = "rollout/success_rate";
    /// <summary>Success over every episode of the groups completed this step, before the group filter: how the
    /// sampling policy does on training tasks.</summary>
    public const string SampledSuccessRate = "rollout/sampled_success_rate";
    public const string DroppedStale = "rollout/dropped_stale";
    public const string DroppedInfra = "rollout/dropped_infra";
    public const string DroppedGroups = "rollout/dropped_groups";
    public const string DroppedInvalid = "rollout/dropped_invalid";
    /// <summary>Trajectories delivered again by the queue (same trajectory id): trained on once.</summary>
    public const string DroppedDuplicates = "rollout/dropped_duplicate";
    /// <summary>1 when the step was taken with filtered (all-equal) groups after maxFilteredBatches batches were all filtered.</summary>
    public const string SkippedSteps = "rollout/skipped_steps";
    public const string Trajectories = "rollout/trajectories";
    public const string Kl = "policy/kl";
    public const string Entropy = "policy/entropy";
    public const string ClipFrac = "policy/clip_frac";
    public const string LearningRate = "policy/learning_rate";
    public const string GradNorm = "policy/grad_norm";
    public const string TokensPerSecond = "perf/tokens_per_s";
    public const string StepSeconds = "perf/step_s";
    public const string WaitSeconds = "perf/wait_s";
    /// <summary>SFT with a demonstration set: the pass over the set this step's batch came from (1-based).</summary>
    public const string SftEpoch = "sft/epoch";
}
