using System.Globalization;
using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;
using AgentOps.Protos.Api;
using static AgentOps.Operator.Reconcile.Json;

namespace AgentOps.Operator.Reconcile;

/// <summary>
/// The desired children of a SandboxPool: the executor Deployment (runtimeClassName, non-root, read-only
/// root filesystem, all capabilities dropped, seccomp RuntimeDefault, limits) and a NetworkPolicy that
/// denies all egress except cluster DNS and the run's gateway and policy service.
/// </summary>
public static class SandboxPoolChildren
{
    public const string Component = "executor";

    /// <summary>The children of <paramref name="pool"/> serving <paramref name="run"/> (its spec.trainingRun, or the run that references it).</summary>
    public static IReadOnlyList<(ResourceType Type, JsonObject Object)> Build(JsonObject owner, SandboxPool pool, string run, ReconcileOptions o) =>
        [(ResourceType.Deployment, Executors(owner, pool, run, o)), (ResourceType.NetworkPolicy, Egress(owner, run, o))];

    /// <summary>The label selector of the executor pods as a string: status.selector for the scale subresource (HPA).</summary>
    public static string SelectorString(string pool) => $"{Names.LabelName}=agentops-{Component},{Names.LabelInstance}={pool}";

    /// <summary>Metadata of a pool child: owned by the pool, labelled with the run it serves.</summary>
    private static JsonObject ChildMeta(JsonObject owner, string name, string run)
    {
        var meta = TrainingRunChildren.Meta(owner, name, Component);
        if (run.Length > 0) meta["labels"]![Names.LabelTrainingRun] = run;
        return meta;
    }

    private static JsonObject PodLabels(string pool, string run)
    {
        var labels = TrainingRunChildren.Labels(pool, Component);
        labels[Names.LabelTrainingRun] = run;
        return labels;
    }

    private static JsonObject Executors(JsonObject owner, SandboxPool pool, string run, ReconcileOptions o)
    {
        var name = owner.Name();
        var s = pool.Spec;
        // workers/Executor/ExecutorCommandLine.cs. The pod itself runs under gVisor (runtimeClassName), so the
        // in-pod sandbox is the process runtime; the token comes from the Secret through $AGENTOPS_TOKEN.
        var args = Arr("executor", "--manifest", TrainingRunChildren.ManifestPath,
            "--policy", $"http://{Names.Trainer(run)}:{o.PolicyPort}",
            "--gateway", $"http://{Names.Gateway(run)}:{o.GatewayPort}",
            "--metrics-port", $"{o.MetricsPort}",
            "--runtime", "process",
            "--executor", "$(POD_NAME)",
            "--concurrency", s.WarmPerReplica.ToString(CultureInfo.InvariantCulture),
            "--split", "train");
        var container = Obj(
            ("name", "executor"),
            ("image", s.Image.Length > 0 ? s.Image : o.WorkerImage),
            ("args", args),
            ("env", Arr(
                TrainingRunChildren.IngestTokenEnv("AGENTOPS_TOKEN", run),
                Obj(("name", "POD_NAME"), ("valueFrom", Obj(("fieldRef", Obj(("fieldPath", "metadata.name")))))))),
            ("ports", Arr(Obj(("name", "metrics"), ("containerPort", o.MetricsPort)))),
            ("readinessProbe", PodSecurity.HttpProbe("/readyz", "metrics", 5)),
            ("livenessProbe", PodSecurity.HttpProbe("/healthz", "metrics", 10)),
            ("resources", Obj(
                ("requests", Obj(("cpu", s.Resources.Cpu), ("memory", s.Resources.Memory))),
                ("limits", Obj(("cpu", s.Resources.Cpu), ("memory", s.Resources.Memory))))),
            ("securityContext", PodSecurity.ContainerContext()),
            ("volumeMounts", Arr(
                Obj(("name", "manifest"), ("mountPath", "/etc/agentops"), ("readOnly", true)),
                Obj(("name", "workspace"), ("mountPath", "/tmp")))));
        var podSpec = Obj(
            ("runtimeClassName", s.RuntimeClassName.Length > 0 ? s.RuntimeClassName : null),
            ("automountServiceAccountToken", false),
            ("enableServiceLinks", false),
            ("securityContext", PodSecurity.PodContext()),
            ("containers", Arr(container)),
            ("volumes", Arr(
                Obj(("name", "manifest"), ("configMap", Obj(("name", Names.Manifest(run))))),
                // Sandboxes write here; memory-backed and bounded so a runaway program cannot fill the node.
                Obj(("name", "workspace"), ("emptyDir", Obj(("medium", "Memory"), ("sizeLimit", $"{Math.Max(64, s.Limits.MemoryMiB)}Mi")))))));
        return Obj(
            ("apiVersion", "apps/v1"),
            ("kind", "Deployment"),
            ("metadata", ChildMeta(owner, Names.ExecutorDeployment(name), run)),
            ("spec", Obj(
                ("replicas", s.Replicas),
                ("selector", Obj(("matchLabels", TrainingRunChildren.Selector(name, Component)))),
                ("template", Obj(
                    ("metadata", Obj(("labels", PodLabels(name, run)))),
                    ("spec", podSpec))))));
    }

    private static JsonObject Egress(JsonObject owner, string run, ReconcileOptions o)
    {
        JsonObject Port(int port, string protocol = "TCP") => Obj(("protocol", protocol), ("port", port));
        return Obj(
            ("apiVersion", "networking.k8s.io/v1"),
            ("kind", "NetworkPolicy"),
            ("metadata", ChildMeta(owner, Names.ExecutorNetworkPolicy(owner.Name()), run)),
            ("spec", Obj(
                ("podSelector", Obj(("matchLabels", TrainingRunChildren.Selector(owner.Name(), Component)))),
                ("policyTypes", Arr("Ingress", "Egress")),
                // Only scrapes of the metrics port come in.
                ("ingress", Arr(Obj(("ports", Arr(Port(o.MetricsPort)))))),
                ("egress", Arr(
                    Obj(
                        ("to", Arr(Obj(
                            ("namespaceSelector", Obj(("matchLabels", Obj(("kubernetes.io/metadata.name", o.DnsNamespace))))),
                            ("podSelector", Obj(("matchLabels", Obj(("k8s-app", "kube-dns")))))))),
                        ("ports", Arr(Port(53, "UDP"), Port(53, "TCP")))),
                    Obj(
                        ("to", Arr(Obj(("podSelector", Obj(("matchLabels", TrainingRunChildren.Selector(run, "gateway"))))))),
                        ("ports", Arr(Port(o.GatewayPort)))),
                    Obj(
                        ("to", Arr(Obj(("podSelector", Obj(("matchLabels", TrainingRunChildren.Selector(run, "trainer"))))))),
                        ("ports", Arr(Port(o.PolicyPort)))))))));
    }
}
