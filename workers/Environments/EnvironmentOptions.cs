namespace AgentOps.Workers.Environments;

/// <summary>
/// The manifest's `spec.environment` as the executor needs it (every knob named, with a default).
/// </summary>
/// <param name="Name">arithmetic | countdown | tools | multihop-qa | cat</param>
/// <param name="Seed">Seed of the training task stream; the world data of tools/multihop-qa derive from it too.</param>
/// <param name="Interpreter">false: text-only mode, code blocks are refused with feedback (ReTool comparison).</param>
/// <param name="Settings">Environment-specific generator knobs, e.g. minOps/maxOps for arithmetic.</param>
/// <param name="EvalTasks">How many held-out tasks an eval run uses.</param>
/// <param name="EvalSeed">Seed of the held-out task stream (disjoint from training by construction of the ids).</param>
public sealed record EnvironmentOptions(
    string Name = "arithmetic",
    long Seed = 1,
    bool Interpreter = true,
    IReadOnlyDictionary<string, string>? Settings = null,
    int EvalTasks = 200,
    long EvalSeed = 100000)
{
    public int GetInt(string key, int fallback)
    {
        if (Settings is null || !Settings.TryGetValue(key, out var raw)) return fallback;
        return int.TryParse(raw, out var v)
            ? v
            : throw new ArgumentException($"spec.environment.settings.{key}: must be an integer, got '{raw}'");
    }

    public string GetString(string key, string fallback) =>
        Settings is not null && Settings.TryGetValue(key, out var raw) ? raw : fallback;
}
