namespace AgentOps.Protos.Api;

/// <summary>
/// The keys <c>spec.environment.settings</c> may hold, per environment: exactly the keys each environment in
/// workers/Environments reads (AgentOps.Workers.Tests holds the two lists equal), so an unknown key is a manifest
/// error naming its path, here for the operator and <c>agentops run</c> alike, instead of a knob nobody reads.
/// </summary>
public static class EnvironmentSettingsSchema
{
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Keys = new Dictionary<string, IReadOnlyList<string>>
    {
        ["arithmetic"] = ["minOps", "maxOps", "sftMinOps", "sftMaxOps", "evalMinOps", "evalMaxOps", "maxOperand"],
        ["countdown"] = ["numbers", "maxTarget"],
        ["tools"] = ["minTools", "maxTools"],
        ["multihop-qa"] = ["hops", "reward"],
        ["cat"] = ["tasksDir", "challenger", "tasks", "weakRate"],
    };

    /// <summary>One error per key that <paramref name="environment"/> does not read; none for an unknown environment (reported on its own).</summary>
    internal static IEnumerable<ManifestError> Check(EnvironmentSpec environment)
    {
        if (!Keys.TryGetValue(environment.Name, out var known)) yield break;
        foreach (var key in environment.Settings.Keys.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal))
        {
            var hint = ManifestBinder.Suggest(key, known);
            yield return new ManifestError($"spec.environment.settings.{key}",
                $"unknown setting for environment \"{environment.Name}\"" + (hint is null ? "" : $" (did you mean \"{hint}\"?)") +
                $"; its settings: {string.Join(", ", known)}");
        }
    }
}
