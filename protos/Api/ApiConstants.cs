namespace AgentOps.Protos.Api;

/// <summary>Names fixed by the API: group, version, kinds and the allowed values of enum-like fields.</summary>
public static class ApiConstants
{
    public const string Group = "agentops.dev";
    public const string Version = "v1alpha1";
    public const string ApiVersion = Group + "/" + Version;
    public const string TrainingRunKind = "TrainingRun";
    public const string SandboxPoolKind = "SandboxPool";

    /// <summary>Known environments (the <see cref="OneOfAttribute"/> on <see cref="EnvironmentSpec.Name"/>).</summary>
    public static IReadOnlyList<string> Environments => OneOf<EnvironmentSpec>(nameof(EnvironmentSpec.Name));
    public static IReadOnlyList<string> Algorithms => OneOf<AlgorithmSpec>(nameof(AlgorithmSpec.Name));
    public static IReadOnlyList<string> PolicyPresets => OneOf<PolicySpec>(nameof(PolicySpec.Preset));
    public static IReadOnlyList<string> SandboxRuntimes => OneOf<SandboxSpec>(nameof(SandboxSpec.Runtime));

    private static IReadOnlyList<string> OneOf<T>(string property) =>
        ((OneOfAttribute)Attribute.GetCustomAttribute(typeof(T).GetProperty(property)!, typeof(OneOfAttribute))!).Values;

    /// <summary>Longest run name: child names add up to 23 characters ("-executors-xxxxxxxxxx") within the 63 of a label value.</summary>
    public const int MaxNameLength = 40;

    /// <summary>Longest SandboxPool name: a run's inline pool is "RUN-executors" (40 + 10); the pool's children add
    /// "-executor"/"-egress" to it and its name is a label value (at most 63).</summary>
    public const int MaxPoolNameLength = MaxNameLength + 10;
}
