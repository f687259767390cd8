using AgentOps.Testing.Manifests;
using AgentOps.Protos.Api;

namespace AgentOps.Protos.Tests.Api;

public class ManifestParsingTests
{
    [Fact]
    public void TeamManifest_ParsesWithEveryValue()
    {
        var result = Manifests.ParseTrainingRun(ManifestSamples.Full);
        Assert.Empty(result.Errors);
        Assert.Empty(result.Warnings);
        var run = result.Value!;
        Assert.Equal("arithmetic-grpo", run.Metadata.Name);
        Assert.Equal("default", run.Metadata.Namespace);
        Assert.Equal("arithmetic", run.Spec.Environment.Name);
        Assert.Equal("2", run.Spec.Environment.Settings["minOps"]);
        Assert.Equal("4", run.Spec.Environment.Settings["maxOps"]);
        Assert.Equal(100000, run.Spec.Environment.Eval.Seed);
        Assert.Equal(0.003, run.Spec.Policy.Sft.LearningRate);
        Assert.Equal(0.001, run.Spec.Algorithm.LearningRate);
        Assert.Equal(0.95, run.Spec.Algorithm.Ppo.Lambda);
        Assert.Equal(65536, run.Spec.Sandbox.Limits.OutputBytes);
        Assert.Equal("4Gi", run.Spec.Trainer.Resources.Memory);
        Assert.Equal("2", run.Spec.Trainer.Resources.Cpu);
        Assert.False(run.Spec.Suspend);
    }

    [Fact]
    public void MinimalManifest_GetsTheDocumentedDefaults()
    {
        var run = Manifests.ParseTrainingRun(ManifestSamples.Minimal).GetValueOrThrow("minimal");
        var full = Manifests.ParseTrainingRun(ManifestSamples.Full).GetValueOrThrow("full");
        // Every default equals the TEAM.md example except the fields the minimal manifest sets.
        var expected = full with
        {
            Metadata = run.Metadata,
            Spec = full.Spec with { Environment = full.Spec.Environment with { Name = "countdown", Settings = [] } },
        };
        Assert.Equal(Manifests.ToJson(expected), Manifests.ToJson(run));
    }

    [Fact]
    public void Yaml_RoundTrips()
    {
        var run = Manifests.ParseTrainingRun(ManifestSamples.Full).GetValueOrThrow("full");
        var yaml = Manifests.ToYaml(run);
        var again = Manifests.ParseTrainingRun(yaml).GetValueOrThrow("round-trip");
        Assert.Equal(Manifests.ToJson(run), Manifests.ToJson(again));
        Assert.Contains("minOps: \"2\"", yaml.Replace('\'', '"'));
    }

    [Fact]
    public void Json_RoundTripsAndParsesThroughTheSameBinder()
    {
        var run = Manifests.ParseTrainingRun(ManifestSamples.Full).GetValueOrThrow("full");
        var json = Manifests.ToJson(run, indented: true);
        Assert.Contains("\"groupSize\": 8", json);
        var again = Manifests.ParseTrainingRun(json).GetValueOrThrow("json");
        Assert.Equal(Manifests.ToJson(run), Manifests.ToJson(again));
    }

    [Fact]
    public void Json_QuotedNumberIsNotAnInteger()
    {
        var json = """{"apiVersion":"agentops.dev/v1alpha1","kind":"TrainingRun","metadata":{"name":"a"},"spec":{"environment":{"name":"tools"},"agent":{"maxTurns":"4"}}}""";
        var result = Manifests.ParseTrainingRun(json);
        Assert.Equal(["spec.agent.maxTurns: expected an integer, got \"4\""], result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void MultiDocumentFile_PicksTheTrainingRun()
    {
        var text = "apiVersion: agentops.dev/v1alpha1\nkind: SandboxPool\nmetadata: { name: p }\n---\n" + ManifestSamples.Minimal;
        Assert.Equal("tiny", Manifests.ParseTrainingRun(text).GetValueOrThrow("multi").Metadata.Name);
        Assert.Equal("p", Manifests.ParseSandboxPool(text).GetValueOrThrow("multi").Metadata.Name);
    }

    [Fact]
    public void LoadTrainingRun_ThrowsListingEveryErrorWithTheFileName()
    {
        var path = Path.Combine(Path.GetTempPath(), $"agentops-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, ManifestSamples.MinimalWith("algorithm: { groupSize: 1 }\nagent: { maxTurns: 0 }"));
        try
        {
            var e = Assert.Throws<ManifestException>(() => Manifests.LoadTrainingRun(path));
            Assert.StartsWith($"{path}: 2 error(s) in the manifest:", e.Message);
            Assert.Contains("spec.algorithm.groupSize: must be between 2 and 64, got 1", e.Message);
            Assert.Contains("spec.agent.maxTurns: must be between 1 and 64, got 0", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void SandboxPool_ParsesWithDefaults()
    {
        var pool = Manifests.ParseSandboxPool("""
            apiVersion: agentops.dev/v1alpha1
            kind: SandboxPool
            metadata: { name: pool-a, namespace: research }
            spec: { trainingRun: run-a, replicas: 5 }
            """).GetValueOrThrow("pool");
        Assert.Equal(5, pool.Spec.Replicas);
        Assert.Equal("gvisor", pool.Spec.RuntimeClassName);
        Assert.Equal(256, pool.Spec.Limits.MemoryMiB);
    }
}
