namespace AgentOps.Protos.Api;

/// <summary>The part of Kubernetes ObjectMeta AgentOps reads and writes; other fields are ignored on read.</summary>
[OpenFields]
public sealed record ObjectMeta
{
    [RequiredField] public string Name { get; init; } = "";
    public string? Namespace { get; init; }
    public Dictionary<string, string>? Labels { get; init; }
    public Dictionary<string, string>? Annotations { get; init; }
    public string? Uid { get; init; }
    public string? ResourceVersion { get; init; }
    public long? Generation { get; init; }
    public string? CreationTimestamp { get; init; }
    public string? DeletionTimestamp { get; init; }
    public List<string>? Finalizers { get; init; }
}

/// <summary>A status condition (Kubernetes API conventions: metav1.Condition).</summary>
[OpenFields]
public sealed record Condition
{
    public string Type { get; init; } = "";
    /// <summary>"True", "False" or "Unknown".</summary>
    public string Status { get; init; } = "Unknown";
    public long? ObservedGeneration { get; init; }
    public string LastTransitionTime { get; init; } = "";
    public string Reason { get; init; } = "";
    public string Message { get; init; } = "";
}
