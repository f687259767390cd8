using AgentOps.Workers.Environments;

namespace AgentOps.Workers.Agent;

/// <summary>Who an episode is: its ids, its task, and where its trajectory goes.</summary>
/// <param name="EpisodeId">Unique in the run, e.g. "{executor}-e{n}".</param>
/// <param name="Attempt">0 first; a new attempt after an infrastructure failure gets a new trajectory id.</param>
/// <param name="GroupId">Shared by the groupSize samples of one prompt (GRPO).</param>
/// <param name="Split">"train", "sft" or "eval".</param>
public sealed record EpisodeSpec(
    string RunId,
    string EpisodeId,
    int Attempt,
    string GroupId,
    string Split,
    string Executor,
    EnvTask Task)
{
    public string TrajectoryId => TrajectoryIds.For(RunId, EpisodeId, Attempt);
}
