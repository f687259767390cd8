using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Environments;

/// <summary>
/// An environment with verifiable rewards: a seeded task generator, a verifier and a reference solution
/// (DESIGN.md, "What it must do"). Implementations: arithmetic, countdown, tools, multihop-qa, cat.
/// </summary>
public interface IEnvironment
{
    /// <summary>The manifest name, e.g. "arithmetic".</summary>
    string Name { get; }

    /// <summary>Generates one training ("train") task from the injected random source; <paramref name="id"/> becomes its id.</summary>
    EnvTask Generate(Random random, string id) => Generate(random, id, "train");

    /// <summary>
    /// Generates a task for one split ("sft" demonstrations, "train" RL prompts, "eval" held-out tasks). Every
    /// implementation keeps "eval" tasks (and their worlds) on the held-out side of <see cref="HeldOutPartition"/>
    /// and the others off it; <see cref="Generate(Random, string)"/> is the "train" split.
    /// </summary>
    EnvTask Generate(Random random, string id, string split);

    /// <summary>
    /// The run's held-out tasks: <paramref name="count"/> distinct "eval" tasks, the same list in every process,
    /// or an error naming spec.environment.eval.tasks when the settings leave fewer (<see cref="HeldOutSet"/>).
    /// </summary>
    IReadOnlyList<EnvTask> HeldOut(EnvironmentOptions options, int count) => HeldOutSet.Draw(this, options.EvalSeed, count, options.Settings);

    /// <summary>
    /// Scores the agent's final answer. <paramref name="sandbox"/> is the episode's interpreter, for verifiers
    /// that must run untrusted code (cat); the others ignore it. Components always include "correct".
    /// </summary>
    Task<Verdict> VerifyAsync(EnvTask task, string answer, ISandbox sandbox, CancellationToken cancellationToken = default);

    /// <summary>
    /// Online feedback (LAM SIMULATOR) for a cell's error: a short message such as
    /// "get_order: missing argument order_id", or null when the error is plain interpreter output.
    /// </summary>
    string? FeedbackFor(CellResult cell) => null;
}
