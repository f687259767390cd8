namespace AgentOps.Protos.Api;

/// <summary>
/// <c>agentops.dev/v1alpha1 SandboxPool</c>: a set of executor pods, each holding warm sandboxes. Has the
/// scale subresource (<c>spec.replicas</c>, <c>status.replicas</c>, <c>status.selector</c>) so
/// <c>kubectl scale</c> and an HPA drive it.
/// </summary>
public sealed record SandboxPool
{
    [RequiredField] public string ApiVersion { get; init; } = ApiConstants.ApiVersion;
    [RequiredField] public string Kind { get; init; } = ApiConstants.SandboxPoolKind;
    [RequiredField] public ObjectMeta Metadata { get; init; } = new();
    public SandboxPoolSpec Spec { get; init; } = new();
    public SandboxPoolStatus? Status { get; init; }
}

public sealed record SandboxPoolSpec
{
    /// <summary>The TrainingRun (same namespace) whose manifest, gateway and policy service the executors use.</summary>
    public string TrainingRun { get; init; } = "";
    [Bounds(0, 1000)] public int Replicas { get; init; } = 2;
    /// <summary>Pod runtime class; the whole executor pod runs under it.</summary>
    public string RuntimeClassName { get; init; } = "gvisor";
    /// <summary>Sandbox runtime inside the pod (the pod itself is already isolated by the runtime class).</summary>
    [OneOf("runtime", "gvisor", "process")] public string Runtime { get; init; } = "process";
    /// <summary>Executor image; "" = the operator's default worker image.</summary>
    public string Image { get; init; } = "";
    public PodResources Resources { get; init; } = new();
    public SandboxLimits Limits { get; init; } = new();
    [Bounds(0, 64)] public int WarmPerReplica { get; init; } = 2;
}

public sealed record PodResources
{
    [Quantity] public string Cpu { get; init; } = "1";
    [Quantity] public string Memory { get; init; } = "1Gi";
}

[OpenFields]
public sealed record SandboxPoolStatus
{
    public int Replicas { get; init; }
    public int ReadyReplicas { get; init; }
    /// <summary>Label selector of the executor pods as a string (scale subresource labelSelectorPath).</summary>
    public string? Selector { get; init; }
    public long? ObservedGeneration { get; init; }
    public List<Condition>? Conditions { get; init; }
}
