using AgentOps.Testing.Manifests;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Reconcile;
using AgentOps.Protos.Api;
using YamlDotNet.Serialization;

namespace AgentOps.Operator.Tests.Reconcile;

/// <summary>
/// The children built for the TEAM.md manifest, compared with the YAML checked in under Golden/. A change to
/// what the operator creates shows up as a diff in review. Regenerate with AGENTOPS_UPDATE_GOLDEN=1.
/// </summary>
public class GoldenManifestTests
{
    private static readonly JsonObject Owner = JsonNode.Parse("""
        {"apiVersion":"agentops.dev/v1alpha1","kind":"TrainingRun",
         "metadata":{"name":"arithmetic-grpo","namespace":"default","uid":"11111111-2222-4333-8444-555555555555"}}
        """)!.AsObject();

    private static readonly JsonObject PoolOwner = JsonNode.Parse("""
        {"apiVersion":"agentops.dev/v1alpha1","kind":"SandboxPool",
         "metadata":{"name":"arithmetic-grpo-executors","namespace":"default","uid":"66666666-7777-4888-8999-000000000000"}}
        """)!.AsObject();

    public static TheoryData<string> Files() => new(Children().Select(c => c.File));

    [Theory]
    [MemberData(nameof(Files))]
    public void ChildMatchesGolden(string file)
    {
        var (_, obj) = Children().Single(c => c.File == file);
        var actual = ToYaml(obj);
        var path = RepoPaths.Of("tests", "AgentOps.Operator.Tests", "Golden", file);
        if (Environment.GetEnvironmentVariable("AGENTOPS_UPDATE_GOLDEN") == "1") File.WriteAllText(path, actual);
        Assert.True(File.Exists(path), $"golden file {path} missing: run with AGENTOPS_UPDATE_GOLDEN=1 and review it");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    [Fact]
    public void EveryGoldenFileIsStillProduced()
    {
        var produced = Children().Select(c => c.File).ToHashSet();
        var onDisk = Directory.GetFiles(RepoPaths.Of("tests", "AgentOps.Operator.Tests", "Golden"), "*.yaml").Select(Path.GetFileName);
        Assert.All(onDisk, f => Assert.Contains(f!, produced));
    }

    [Fact]
    public void ExecutorPods_AreHardened()
    {
        var deployment = Children().Single(c => c.File == "sandboxpool-deployment-arithmetic-grpo-executors-executor.yaml").Obj;
        var pod = deployment["spec"]!["template"]!["spec"]!;
        Assert.Equal("gvisor", (string?)pod["runtimeClassName"]);
        Assert.True((bool?)pod["securityContext"]!["runAsNonRoot"]);
        Assert.Equal("RuntimeDefault", (string?)pod["securityContext"]!["seccompProfile"]!["type"]);
        Assert.False((bool?)pod["automountServiceAccountToken"]);
        var c = pod["containers"]![0]!;
        Assert.True((bool?)c["securityContext"]!["readOnlyRootFilesystem"]);
        Assert.False((bool?)c["securityContext"]!["allowPrivilegeEscalation"]);
        Assert.Equal("ALL", (string?)c["securityContext"]!["capabilities"]!["drop"]![0]);
        Assert.NotNull(c["resources"]!["limits"]!["memory"]);
    }

    [Theory]
    [InlineData("gpu: 2", "2")] // as many as asked
    [InlineData("gpu: 0", "1")] // cuda needs one
    public void CudaDevice_BecomesNvidiaGpuLimitAndToleration(string gpu, string expected)
    {
        var manifest = ManifestSamples.Full.Replace("gpu: 0", gpu).Replace("trainer: { image: \"\",", "trainer: { image: \"\", device: cuda,");
        var run = Manifests.ParseTrainingRun(manifest).GetValueOrThrow("gpu");
        Assert.Equal("cuda", run.Spec.Trainer.Device);
        var pod = TrainerPod(run);
        Assert.Equal(expected, (string?)pod["containers"]![0]!["resources"]!["limits"]!["nvidia.com/gpu"]);
        Assert.Equal(expected, (string?)pod["containers"]![0]!["resources"]!["requests"]!["nvidia.com/gpu"]);
        Assert.Equal("nvidia.com/gpu", (string?)pod["tolerations"]![0]!["key"]);
    }

    [Fact]
    public void CpuDevice_RequestsNoGpu()
    {
        var pod = TrainerPod(Manifests.ParseTrainingRun(ManifestSamples.Full).GetValueOrThrow("cpu"));
        Assert.Null(pod["containers"]![0]!["resources"]!["limits"]!["nvidia.com/gpu"]);
        Assert.Null(pod["tolerations"]);
    }

    private static JsonNode TrainerPod(TrainingRun run) =>
        TrainingRunChildren.Build(Owner, run, new ReconcileOptions())
            .Single(c => c.Object.Name() == "arithmetic-grpo-trainer" && c.Type.Kind == "Deployment").Object["spec"]!["template"]!["spec"]!;

    private static IEnumerable<(string File, JsonObject Obj)> Children()
    {
        var run = Manifests.ParseTrainingRun(ManifestSamples.Full).GetValueOrThrow("team manifest");
        var o = new ReconcileOptions();
        foreach (var (type, obj) in TrainingRunChildren.Build(Owner, run, o))
            yield return ($"trainingrun-{type.Kind.ToLowerInvariant()}-{obj.Name()}.yaml", ChildApplier.WithHash(obj));
        yield return ("trainingrun-secret-arithmetic-grpo-ingest-token.yaml",
            ChildApplier.WithHash(TrainingRunChildren.IngestTokenSecret(Owner, "<generated: 32 random bytes, base64>")));
        var poolJson = TrainingRunChildren.Build(Owner, run, o).Single(c => c.Type.Kind == "SandboxPool").Object;
        var pool = Manifests.ParseSandboxPool(poolJson.ToJsonString(), rejectUnknownFields: true).GetValueOrThrow("inline pool");
        foreach (var (type, obj) in SandboxPoolChildren.Build(PoolOwner, pool, pool.Spec.TrainingRun, o))
            yield return ($"sandboxpool-{type.Kind.ToLowerInvariant()}-{obj.Name()}.yaml", ChildApplier.WithHash(obj));
    }

    internal static string ToYaml(JsonObject obj) =>
        new SerializerBuilder().DisableAliases().WithQuotingNecessaryStrings().Build().Serialize(ToPlain(obj));

    private static object? ToPlain(JsonNode? node) => node switch
    {
        JsonObject o => o.ToDictionary(kv => kv.Key, kv => ToPlain(kv.Value)),
        JsonArray a => a.Select(ToPlain).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => long.TryParse(v.ToJsonString(), out var l) ? l : v.GetValue<double>(),
            _ => null,
        },
        _ => null,
    };
}
