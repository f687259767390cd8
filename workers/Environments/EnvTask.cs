namespace AgentOps.Workers.Environments;

/// <summary>
/// One task an episode is about. <see cref="ReferenceCells"/> is the code a good agent would write, run in
/// order in one persistent interpreter; the reference answer is <see cref="ReferenceAnswer"/> when set, else
/// the last cell's printed output (trimmed). The scripted policy replays exactly this.
/// </summary>
/// <param name="Id">Deterministic per (environment, seed, index), e.g. "arithmetic-1-42".</param>
/// <param name="Question">The task text as the agent sees it after "Q: ".</param>
/// <param name="ExpectedAnswer">The ground truth the verifier compares with.</param>
/// <param name="Data">Environment-specific facts the verifier needs (e.g. countdown numbers), as strings.</param>
/// <param name="Setup">A cell the episode's interpreter runs before the agent's first turn, its output unseen (e.g.
/// loading the task's own generated world into the tool module); null for none. Part of the task's identity
/// (<see cref="Key"/>): the same question over another world is another task.</param>
public sealed record EnvTask(
    string Id,
    string Environment,
    string Question,
    string ExpectedAnswer,
    IReadOnlyList<string> ReferenceCells,
    string? ReferenceAnswer = null,
    IReadOnlyDictionary<string, string>? Data = null,
    string? Setup = null)
{
    /// <summary>What makes two tasks the same task: the question and the world it is asked about.</summary>
    public string Key => Setup is null ? Question : Question + "\n" + Setup;
}

/// <summary>The verifier's result: the scalar reward, its breakdown, and a one-line verdict for humans.</summary>
public sealed record Verdict(double Total, IReadOnlyDictionary<string, double> Components, string Message);
