using AgentOps.Workers.Agent;
using AgentOps.Workers.Environments;

namespace AgentOps.Workers.Executor;

/// <summary>Everything the executor loop needs, mapped once from the manifest and the flags (CleanRL style: every knob named).</summary>
/// <param name="RunId">The TrainingRun's metadata.name.</param>
/// <param name="Executor">This process's name (pod name); part of episode, group and task ids.</param>
/// <param name="Split">"train" (follow the trainer's phase) or "eval" (held-out tasks).</param>
/// <param name="Episodes">eval: tasks to run (default: the manifest's eval.tasks); train without a trainer: episodes to run.</param>
/// <param name="GroupSize">RL samples per prompt, sharing a group id.</param>
/// <param name="Concurrency">Episodes in flight at once, one sandbox each.</param>
/// <param name="RecoverRate">Fraction of scripted demonstrations that first make a mistake and recover.</param>
/// <param name="PhasePoll">How often Policy.Info is asked for the phase.</param>
/// <param name="Incarnation">Tells this process from an earlier one of the same executor name (a restart): part of episode
/// and group ids, so a restarted executor's trajectories are not dropped as duplicates of its predecessor's (ids are
/// deterministic, for idempotent pushes) and its groups are not merged with theirs. "" in tests that want fixed ids.</param>
public sealed record ExecutorSettings(
    string RunId,
    string Executor,
    EnvironmentOptions Environment,
    AgentOptions Agent,
    string Split = "train",
    int? Episodes = null,
    int GroupSize = 8,
    int Concurrency = 2,
    double RecoverRate = 0.25,
    TimeSpan? PhasePoll = null,
    string Incarnation = "")
{
    /// <summary>What episode and group ids start with: the executor, and its incarnation when there is one.</summary>
    public string IdPrefix => Incarnation.Length == 0 ? Executor : $"{Executor}.{Incarnation}";

    public TimeSpan PhasePollOrDefault => PhasePoll ?? TimeSpan.FromSeconds(2);

    public void Validate()
    {
        if (Split is not ("train" or "eval")) throw new ArgumentException($"--split: must be train or eval, got '{Split}'");
        if (Concurrency < 1) throw new ArgumentException($"--concurrency: must be at least 1, got {Concurrency}");
        if (GroupSize < 1) throw new ArgumentException($"spec.algorithm.groupSize: must be at least 1, got {GroupSize}");
        if (Episodes is < 0) throw new ArgumentException($"--episodes: must be at least 0, got {Episodes}");
        if (RecoverRate is < 0 or > 1) throw new ArgumentException($"--recover-rate: must be between 0 and 1, got {RecoverRate}");
        Agent.Validate();
    }
}

/// <summary>What a run of the executor did.</summary>
public sealed record ExecutorSummary(int Episodes, int Answered, int InfraFailures, double MeanReward, double SuccessRate);
