namespace AgentOps.Workers.Environments;

/// <summary>
/// The manifest's `spec.environment` as the executor needs it (every knob named, with a default). The
/// environment-specific <see cref="Settings"/> are read by each environment's settings record through
/// <see cref="EnvironmentSettings"/>, which rejects any key it does not read.
/// </summary>
/// <param name="Name">arithmetic | countdown | tools | multihop-qa | cat</param>
/// <param name="Seed">Seed of the training task stream (and of the worlds tools/multihop-qa generate for its tasks).</param>
/// <param name="Interpreter">false: text-only mode, code blocks are refused with feedback (ReTool comparison).</param>
/// <param name="Settings">Environment-specific generator knobs, e.g. minOps/maxOps for arithmetic.</param>
/// <param name="EvalTasks">How many held-out tasks an eval run uses (all distinct, none a training task).</param>
/// <param name="EvalSeed">Seed of the held-out task stream (its own seed space; disjoint from training by <see cref="HeldOutPartition"/>).</param>
public sealed record EnvironmentOptions(
    string Name = "arithmetic",
    long Seed = 1,
    bool Interpreter = true,
    IReadOnlyDictionary<string, string>? Settings = null,
    int EvalTasks = 200,
    long EvalSeed = 100000);
