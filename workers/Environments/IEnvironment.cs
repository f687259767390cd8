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

    /// <summary>Generates one task from the injected random source; <paramref name="id"/> becomes its id.</summary>
    EnvTask Generate(Random random, string id);

    /// <summary>
    /// Generates a task for one split ("sft" demonstrations, "train" RL prompts, "eval" held-out tasks), for
    /// environments whose settings give each split its own difficulty range; the default ignores the split.
    /// </summary>
    EnvTask Generate(Random random, string id, string split) => Generate(random, id);

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
