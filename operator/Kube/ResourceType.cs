namespace AgentOps.Operator.Kube;

/// <summary>A Kubernetes resource: group, version, plural (the generic API's coordinates) and kind.</summary>
public sealed record ResourceType(string Group, string Version, string Plural, string Kind)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public static readonly ResourceType TrainingRun = new("agentops.dev", "v1alpha1", "trainingruns", "TrainingRun");
    public static readonly ResourceType SandboxPool = new("agentops.dev", "v1alpha1", "sandboxpools", "SandboxPool");
    public static readonly ResourceType Deployment = new("apps", "v1", "deployments", "Deployment");
    public static readonly ResourceType StatefulSet = new("apps", "v1", "statefulsets", "StatefulSet");
    public static readonly ResourceType Service = new("", "v1", "services", "Service");
    public static readonly ResourceType Secret = new("", "v1", "secrets", "Secret");
    public static readonly ResourceType ConfigMap = new("", "v1", "configmaps", "ConfigMap");
    public static readonly ResourceType NetworkPolicy = new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy");
    public static readonly ResourceType PersistentVolumeClaim = new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim");
    public static readonly ResourceType ReplicaSet = new("apps", "v1", "replicasets", "ReplicaSet");
    public static readonly ResourceType Lease = new("coordination.k8s.io", "v1", "leases", "Lease");
    public static readonly ResourceType Event = new("events.k8s.io", "v1", "events", "Event");

    public static IReadOnlyList<ResourceType> Known { get; } =
        [TrainingRun, SandboxPool, Deployment, StatefulSet, Service, Secret, ConfigMap, NetworkPolicy, PersistentVolumeClaim, Lease, Event];
}

/// <summary>namespace/name of an object: the work-queue key (client-go's MetaNamespaceKeyFunc).</summary>
public readonly record struct ObjectKey(string Namespace, string Name)
{
    public override string ToString() => $"{Namespace}/{Name}";
}
