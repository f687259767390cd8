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
public sealed record EnvTask(
    string Id,
    string Environment,
    string Question,
    string ExpectedAnswer,
    IReadOnlyList<string> ReferenceCells,
    string? ReferenceAnswer = null,
    IReadOnlyDictionary<string, string>? Data = null);

/// <summary>The verifier's result: the scalar reward, its breakdown, and a one-line verdict for humans.</summary>
public sealed record Verdict(double Total, IReadOnlyDictionary<string, double> Components, string Message);
