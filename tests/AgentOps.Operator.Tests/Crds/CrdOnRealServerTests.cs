using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Tests.Kube;
using AgentOps.Testing.Kube;
using k8s;
using k8s.Models;

namespace AgentOps.Operator.Tests.Crds;

/// <summary>Issue 20, bugs 1 and 9: the CRDs as a real kube-apiserver v1.28 takes them (`kubectl apply -f crds/`), their defaults, rules and descriptions.</summary>
public class CrdOnRealServerTests
{
    [Theory]
    [InlineData("crds")]
    [InlineData("charts/agentops/crds")]
    public async Task The_CRDs_apply_and_a_bare_SandboxPool_gets_its_defaults_and_its_rules(string folder)
    {
        using var client = await RealCluster.AdminAsync();
        foreach (var file in Directory.GetFiles(RepoPaths.Of(folder.Split('/')), "*.yaml"))
            Assert.NotEmpty(await ManifestInstaller.ApplyCrdsAsync(client.Api, File.ReadAllText(file)));

        var ns = await RealCluster.NamespaceAsync("crd");
        var pool = await client.CreateAsync(ResourceType.SandboxPool, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "bare", ["namespace"] = ns } }, default);
        Assert.Equal("", (string?)pool["spec"]!["trainingRun"]);
        Assert.Equal(2, (int?)pool["spec"]!["replicas"]);
        Assert.Equal(256, (int?)pool["spec"]!["limits"]!["memoryMiB"]);

        var bad = await Assert.ThrowsAsync<KubeApiException>(() => client.CreateAsync(ResourceType.SandboxPool, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "bad", ["namespace"] = ns },
            ["spec"] = new JsonObject { ["trainingRun"] = "Not_A_Run" },
        }, default));
        Assert.Contains("spec.trainingRun: Invalid value: \"string\": must be a TrainingRun name", bad.ApiMessage);

        // A run's longest inline pool name (40 + "-executors") is a valid pool name; one more character is not.
        await client.CreateAsync(ResourceType.SandboxPool, new JsonObject { ["metadata"] = new JsonObject { ["name"] = new string('p', 50), ["namespace"] = ns } }, default);
        var tooLong = await Assert.ThrowsAsync<KubeApiException>(() => client.CreateAsync(ResourceType.SandboxPool,
            new JsonObject { ["metadata"] = new JsonObject { ["name"] = new string('p', 51), ["namespace"] = ns } }, default));
        Assert.Contains("metadata.name: Too long", tooLong.ApiMessage);
    }

    [Fact]
    public async Task Kubectl_explain_has_descriptions_for_every_SandboxPool_field_and_every_TrainingRun_section()
    {
        using var client = await RealCluster.AdminAsync();
        var missing = new List<string>();
        var pools = await client.Api.ApiextensionsV1.ReadCustomResourceDefinitionAsync("sandboxpools.agentops.dev");
        Walk(pools.Spec.Versions[0].Schema.OpenAPIV3Schema, "sandboxpool", int.MaxValue);
        var runs = await client.Api.ApiextensionsV1.ReadCustomResourceDefinitionAsync("trainingruns.agentops.dev");
        Walk(runs.Spec.Versions[0].Schema.OpenAPIV3Schema, "trainingrun", 2);
        Assert.True(missing.Count == 0, "no description (kubectl explain says <no description>): " + string.Join(", ", missing));

        void Walk(V1JSONSchemaProps schema, string path, int depth)
        {
            foreach (var (name, p) in schema.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
            {
                var at = $"{path}.{name}";
                if (name is "apiVersion" or "kind" or "metadata") continue; // the API server allows no description on metadata
                if (string.IsNullOrWhiteSpace(p.Description) && path.Count(c => c == '.') < depth) missing.Add(at);
                if (path.Count(c => c == '.') + 1 < depth) Walk(p.Items is V1JSONSchemaProps items ? items : p, at, depth);
            }
        }
    }
}
