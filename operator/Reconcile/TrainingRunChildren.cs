using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;
using AgentOps.Protos.Api;
using static AgentOps.Operator.Reconcile.Json;

namespace AgentOps.Operator.Reconcile;

/// <summary>
/// The desired children of a TrainingRun: manifest ConfigMap, checkpoint PVC, gateway Deployment+Service,
/// trainer Deployment+Service (policy gRPC and metrics; nvidia.com/gpu when asked), Redis StatefulSet+Service
/// when no URL is given, and the inline SandboxPool. Pure: same input, same objects (golden-tested).
/// </summary>
public static class TrainingRunChildren
{
    public const string ManifestPath = "/etc/agentops/manifest.yaml";
    public const string RunDir = "/var/lib/agentops/run";
    /// <summary>Where the gateway mounts the run's ingest-token Secret (key "token").</summary>
    public const string TokenDir = "/var/run/agentops/ingest-token";

    /// <summary>The run's ingest token as an environment variable, from the same Secret the gateway mounts.</summary>
    public static JsonObject IngestTokenEnv(string variable, string run) =>
        Obj(("name", variable), ("valueFrom", Obj(("secretKeyRef", Obj(("name", Names.IngestToken(run)), ("key", "token"))))));

    public static IReadOnlyList<(ResourceType Type, JsonObject Object)> Build(JsonObject owner, TrainingRun run, ReconcileOptions o)
    {
        var name = owner.Name();

        var suspended = run.Spec.Suspend;
        var finished = run.Status?.Phase is "Succeeded" or "Failed";
        var children = new List<(ResourceType, JsonObject)>
        {
            (ResourceType.ConfigMap, ManifestConfigMap(owner, run)),
            (ResourceType.PersistentVolumeClaim, CheckpointClaim(owner, o)),
            (ResourceType.Deployment, Gateway(owner, run, o, replicas: suspended || finished ? 0 : 1)),
            (ResourceType.Service, Service(owner, Names.Gateway(name), "gateway", [("grpc", o.GatewayPort), ("metrics", o.MetricsPort)])),
            (ResourceType.Deployment, Trainer(owner, run, o, replicas: suspended ? 0 : 1)),
            (ResourceType.Service, Service(owner, Names.Trainer(name), "trainer", [("grpc", o.PolicyPort), ("metrics", o.MetricsPort)])),
        };
        if (run.Spec.Queue.RedisUrl.Length == 0)
        {
            children.Add((ResourceType.StatefulSet, Redis(owner, o)));
            children.Add((ResourceType.Service, Service(owner, Names.Redis(name), "redis", [("redis", o.RedisPort)])));
        }
        if (run.Spec.Sandbox.PoolRef.Length == 0)
            children.Add((ResourceType.SandboxPool, InlinePool(owner, run, replicas: suspended || finished ? 0 : run.Spec.Sandbox.Replicas)));
        return children;
    }

    /// <summary>redis://… the run's queue: the given URL or the operator-made Redis Service.</summary>
    public static string RedisUrl(string name, string ns, TrainingRun run, ReconcileOptions o) =>
        run.Spec.Queue.RedisUrl.Length > 0 ? run.Spec.Queue.RedisUrl : $"redis://{Names.Redis(name)}.{ns}.svc:{o.RedisPort}";

    public static JsonObject Meta(JsonObject owner, string name, string component, JsonObject? annotations = null) => Obj(
        ("name", name),
        ("namespace", owner.Namespace()),
        ("labels", Labels(owner.Name(), component)),
        ("annotations", annotations),
        ("ownerReferences", Arr(KubeObjects.ControllerReference(owner))));

    public static JsonObject Labels(string run, string component) => Obj(
        (Names.LabelName, "agentops-" + component),
        (Names.LabelInstance, run),
        (Names.LabelComponent, component),
        (Names.LabelPartOf, "agentops"),
        (Names.LabelManagedBy, Names.ManagedBy),
        (Names.LabelTrainingRun, run));

    public static JsonObject Selector(string run, string component) => Obj(
        (Names.LabelName, "agentops-" + component),
        (Names.LabelInstance, run));

    public static JsonObject IngestTokenSecret(JsonObject owner, string token) => Obj(
        ("apiVersion", "v1"),
        ("kind", "Secret"),
        ("metadata", Meta(owner, Names.IngestToken(owner.Name()), "ingest-token")),
        ("type", "Opaque"),
        ("stringData", Obj(("token", token))));

    private static JsonObject ManifestConfigMap(JsonObject owner, TrainingRun run)
    {
        // Every process reads the same manifest (TEAM.md): spec as the operator sees it, defaults filled in.
        var manifest = run with
        {
            Metadata = new ObjectMeta { Name = owner.Name(), Namespace = owner.Namespace() },
            Status = null,
        };
        return Obj(
            ("apiVersion", "v1"),
            ("kind", "ConfigMap"),
            ("metadata", Meta(owner, Names.Manifest(owner.Name()), "manifest")),
            ("data", Obj(("manifest.yaml", Manifests.ToYaml(manifest)))));
    }

    private static JsonObject CheckpointClaim(JsonObject owner, ReconcileOptions o) => Obj(
        ("apiVersion", "v1"),
        ("kind", "PersistentVolumeClaim"),
        ("metadata", Meta(owner, Names.Checkpoints(owner.Name()), "checkpoints")),
        ("spec", Obj(
            ("accessModes", Arr("ReadWriteOnce")),
            ("resources", Obj(("requests", Obj(("storage", o.CheckpointStorage))))))));

    /// <summary>A 32 MiB gen0 budget for the gateway: its work is short-lived buffers per trajectory, and the pipeline
    /// bench measured 4,365-4,857 trajectories/s with it against 4,002-4,149 without (3 alternating pairs, 4 KiB),
    /// for ~32 MiB more memory.</summary>
    public const string GatewayGcVariable = "DOTNET_GCgen0size", GatewayGcValue = "0x2000000";

    private static JsonObject Gateway(JsonObject owner, TrainingRun run, ReconcileOptions o, int replicas)
    {
        var name = owner.Name();
        var container = Obj(
            ("name", "gateway"),
            ("image", o.WorkerImage),
            // gateway/GatewayOptions.cs: the run's stream, the Secret's token as a file, 0.0.0.0 in a pod.
            ("command", Arr("/app/agentops-gateway")),
            ("args", Arr("--redis", RedisUrl(name, owner.Namespace(), run, o), "--run", name,
                "--token-file", $"{TokenDir}/token", "--port", $"{o.GatewayPort}", "--metrics-port", $"{o.MetricsPort}",
                "--max-backlog", $"{run.Spec.Queue.MaxBacklog}", "--max-length", $"{run.Spec.Queue.MaxLength}",
                "--environments", run.Spec.Environment.Name, "--bind", "0.0.0.0")),
            ("ports", Arr(Obj(("name", "grpc"), ("containerPort", o.GatewayPort)), Obj(("name", "metrics"), ("containerPort", o.MetricsPort)))),
            ("env", Arr(Obj(("name", GatewayGcVariable), ("value", GatewayGcValue)))),
            ("readinessProbe", PodSecurity.HttpProbe("/readyz", "metrics", 5)),
            ("livenessProbe", PodSecurity.HttpProbe("/healthz", "metrics", 10)),
            ("resources", Obj(("requests", Obj(("cpu", "250m"), ("memory", "256Mi"))), ("limits", Obj(("cpu", "1"), ("memory", "512Mi"))))),
            ("securityContext", PodSecurity.ContainerContext()),
            ("volumeMounts", Arr(Obj(("name", "ingest-token"), ("mountPath", TokenDir), ("readOnly", true)))));
        return Deployment(owner, Names.Gateway(name), "gateway", replicas, container,
            Arr(Obj(("name", "ingest-token"), ("secret", Obj(("secretName", Names.IngestToken(name)), ("defaultMode", 288))))), strategy: null);
    }

    private static JsonObject Trainer(JsonObject owner, TrainingRun run, ReconcileOptions o, int replicas)
    {
        var name = owner.Name();
        var r = run.Spec.Trainer.Resources;
        var requests = Obj(("cpu", r.Cpu), ("memory", r.Memory));
        var limits = Obj(("cpu", r.Cpu), ("memory", r.Memory));
        // The trainer computes where spec.trainer.device says (it reads the manifest): cuda gets the GPU it needs.
        var gpus = run.Spec.Trainer.Device == "cuda" ? Math.Max(1, r.Gpu) : 0;
        if (gpus > 0)
        {
            requests["nvidia.com/gpu"] = gpus.ToString(System.Globalization.CultureInfo.InvariantCulture);
            limits["nvidia.com/gpu"] = gpus.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        var container = Obj(
            ("name", "trainer"),
            ("image", run.Spec.Trainer.Image.Length > 0 ? run.Spec.Trainer.Image : o.TrainerImage),
            ("args", Arr("--manifest", ManifestPath, "--run-dir", RunDir, "--grpc-port", $"{o.PolicyPort}",
                "--metrics-port", $"{o.MetricsPort}", "--redis", RedisUrl(name, owner.Namespace(), run, o))),
            // trainer/Program.cs reads the Policy bearer token from $AGENTOPS_INGEST_TOKEN.
            ("env", Arr(IngestTokenEnv("AGENTOPS_INGEST_TOKEN", name))),
            ("ports", Arr(Obj(("name", "grpc"), ("containerPort", o.PolicyPort)), Obj(("name", "metrics"), ("containerPort", o.MetricsPort)))),
            ("readinessProbe", PodSecurity.HttpProbe("/readyz", "metrics", 5)),
            ("livenessProbe", PodSecurity.HttpProbe("/healthz", "metrics", 10)),
            ("resources", Obj(("requests", requests), ("limits", limits))),
            ("securityContext", PodSecurity.ContainerContext()),
            ("volumeMounts", Arr(
                Obj(("name", "manifest"), ("mountPath", "/etc/agentops"), ("readOnly", true)),
                Obj(("name", "run"), ("mountPath", RunDir)),
                Obj(("name", "tmp"), ("mountPath", "/tmp")))));
        var volumes = Arr(
            Obj(("name", "manifest"), ("configMap", Obj(("name", Names.Manifest(name))))),
            Obj(("name", "run"), ("persistentVolumeClaim", Obj(("claimName", Names.Checkpoints(name))))),
            Obj(("name", "tmp"), ("emptyDir", Obj())));
        var deployment = Deployment(owner, Names.Trainer(name), "trainer", replicas, container, volumes,
            // One writer of the checkpoint volume (ReadWriteOnce): stop the old pod before starting a new one.
            strategy: Obj(("type", "Recreate")));
        if (gpus > 0)
            ((JsonObject)deployment["spec"]!["template"]!["spec"]!)["tolerations"] =
                Arr(Obj(("key", "nvidia.com/gpu"), ("operator", "Exists"), ("effect", "NoSchedule")));
        return deployment;
    }

    private static JsonObject Redis(JsonObject owner, ReconcileOptions o)
    {
        var name = owner.Name();
        var container = Obj(
            ("name", "redis"),
            ("image", o.RedisImage),
            ("args", Arr("--appendonly", "yes", "--save", "", "--port", $"{o.RedisPort}")),
            ("ports", Arr(Obj(("name", "redis"), ("containerPort", o.RedisPort)))),
            ("readinessProbe", Obj(("exec", Obj(("command", Arr("redis-cli", "-p", $"{o.RedisPort}", "ping")))), ("periodSeconds", 5))),
            ("resources", Obj(("requests", Obj(("cpu", "250m"), ("memory", "512Mi"))), ("limits", Obj(("memory", "1Gi"))))),
            ("securityContext", PodSecurity.ContainerContext()),
            ("volumeMounts", Arr(Obj(("name", "data"), ("mountPath", "/data")))));
        return Obj(
            ("apiVersion", "apps/v1"),
            ("kind", "StatefulSet"),
            ("metadata", Meta(owner, Names.Redis(name), "redis")),
            ("spec", Obj(
                ("replicas", 1),
                ("serviceName", Names.Redis(name)),
                // The data PVC goes with the StatefulSet (and so with the run); scaling down keeps it (issue 20, bug 6:
                // the default, Retain, left it behind after every deleted run).
                ("persistentVolumeClaimRetentionPolicy", Obj(("whenDeleted", "Delete"), ("whenScaled", "Retain"))),
                ("selector", Obj(("matchLabels", Selector(name, "redis")))),
                ("template", Obj(
                    ("metadata", Obj(("labels", Labels(name, "redis")))),
                    ("spec", Obj(
                        ("automountServiceAccountToken", false),
                        ("securityContext", PodSecurity.PodContext()),
                        ("containers", Arr(container)))))),
                ("volumeClaimTemplates", Arr(Obj(
                    ("metadata", Obj(("name", "data"))),
                    ("spec", Obj(
                        ("accessModes", Arr("ReadWriteOnce")),
                        ("resources", Obj(("requests", Obj(("storage", o.RedisStorage)))))))))))));
    }

    private static JsonObject InlinePool(JsonObject owner, TrainingRun run, int replicas)
    {
        var s = run.Spec.Sandbox;
        return Obj(
            ("apiVersion", ApiConstants.ApiVersion),
            ("kind", ApiConstants.SandboxPoolKind),
            ("metadata", Meta(owner, Names.InlinePool(owner.Name()), "executor")),
            ("spec", Obj(
                ("trainingRun", owner.Name()),
                ("replicas", replicas),
                // The whole pod runs under gVisor on Kubernetes; inside it the sandbox is a plain process.
                ("runtimeClassName", s.Runtime == "gvisor" ? "gvisor" : ""),
                ("runtime", "process"),
                ("warmPerReplica", s.WarmPerReplica),
                ("limits", JsonNode.Parse(Manifests.ToJson(s.Limits))))));
    }

    internal static JsonObject Service(JsonObject owner, string name, string component, (string Name, int Port)[] ports) => Obj(
        ("apiVersion", "v1"),
        ("kind", "Service"),
        ("metadata", Meta(owner, name, component)),
        ("spec", Obj(
            ("selector", Selector(owner.Name(), component)),
            ("ports", new JsonArray(ports.Select(p => (JsonNode)Obj(("name", p.Name), ("port", p.Port), ("targetPort", p.Name), ("protocol", "TCP")))
                .ToArray())))));

    internal static JsonObject Deployment(JsonObject owner, string name, string component, int replicas, JsonObject container, JsonArray volumes, JsonObject? strategy) => Obj(
        ("apiVersion", "apps/v1"),
        ("kind", "Deployment"),
        ("metadata", Meta(owner, name, component)),
        ("spec", Obj(
            ("replicas", replicas),
            ("strategy", strategy),
            ("selector", Obj(("matchLabels", Selector(owner.Name(), component)))),
            ("template", Obj(
                ("metadata", Obj(("labels", Labels(owner.Name(), component)))),
                ("spec", Obj(
                    ("automountServiceAccountToken", false),
                    ("enableServiceLinks", false),
                    ("securityContext", PodSecurity.PodContext()),
                    ("containers", Arr(container)),
                    ("volumes", volumes))))))));
}
