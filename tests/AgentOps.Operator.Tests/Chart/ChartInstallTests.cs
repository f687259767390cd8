using System.Net;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Reconcile;
using AgentOps.Operator.Tests.Kube;
using AgentOps.Testing.Kube;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace AgentOps.Operator.Tests.Chart;

/// <summary>
/// The chart against the real API server (helm is not installed here, so ChartRenderTests' renderer fills in the
/// templates: values.yaml with every optional part on, release "agentops" in "agentops-system"; helm's own functions
/// are not used by the chart). Every rendered document and the chart's CRDs are applied server-side; then the operator
/// runs with the chart ServiceAccount's token, under exactly the chart's RBAC, with OwnerReferencesPermissionEnforcement on.
/// </summary>
public class ChartInstallTests
{
    private const string ReleaseNamespace = "agentops-system";

    /// <summary>Where each kind the chart renders lives: group/version/plural and whether it is namespaced.</summary>
    private static readonly Dictionary<string, (string Plural, bool Namespaced)> Kinds = new()
    {
        ["ServiceAccount"] = ("serviceaccounts", true), ["ClusterRole"] = ("clusterroles", false),
        ["ClusterRoleBinding"] = ("clusterrolebindings", false), ["Role"] = ("roles", true), ["RoleBinding"] = ("rolebindings", true),
        ["Deployment"] = ("deployments", true), ["StatefulSet"] = ("statefulsets", true), ["Service"] = ("services", true),
        ["ConfigMap"] = ("configmaps", true), ["ServiceMonitor"] = ("servicemonitors", true), ["PodMonitor"] = ("podmonitors", true),
        ["PrometheusRule"] = ("prometheusrules", true), ["RuntimeClass"] = ("runtimeclasses", false),
    };

    [Fact]
    public async Task The_rendered_chart_applies_to_the_real_API_server_and_the_operator_works_under_its_RBAC()
    {
        using var admin = await RealCluster.AdminAsync();
        foreach (var file in Directory.GetFiles(RepoPaths.Of("charts", "agentops", "crds"), "*.yaml"))
            await ManifestInstaller.ApplyCrdsAsync(admin.Api, File.ReadAllText(file));
        await ManifestInstaller.ApplyCrdsAsync(admin.Api, File.ReadAllText(RepoPaths.Of("tests", "AgentOps.Operator.Tests", "Chart", "monitoring-crds.yaml")));
        try { await admin.Api.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ReleaseNamespace } }); }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict) { }

        var applied = new List<string>();
        foreach (var (file, docs) in ChartRenderTests.RenderAll())
            foreach (var doc in docs)
            {
                var json = ManifestInstaller.YamlToJson(doc);
                var apiVersion = (string)json["apiVersion"]!;
                var kind = (string)json["kind"]!;
                var name = (string)json["metadata"]!["name"]!;
                Assert.True(Kinds.TryGetValue(kind, out var where), $"{file}: add {kind} to this test's table");
                var (group, version) = apiVersion.Contains('/') ? (apiVersion.Split('/')[0], apiVersion.Split('/')[1]) : ("", apiVersion);
                var patch = new V1Patch(json.ToJsonString(), V1Patch.PatchType.ApplyPatch);
                try
                {
                    if (where.Namespaced)
                        await admin.Api.CustomObjects.PatchNamespacedCustomObjectAsync(patch, group, version, (string)json["metadata"]!["namespace"]!, where.Plural, name,
                            fieldManager: "helm", force: true);
                    else
                        await admin.Api.CustomObjects.PatchClusterCustomObjectAsync(patch, group, version, where.Plural, name, fieldManager: "helm", force: true);
                }
                catch (HttpOperationException e) { Assert.Fail($"{file}: {kind} {name} refused by the API server: {e.Response.Content}"); }
                applied.Add($"{kind}/{name}");
            }
        Assert.Contains("PrometheusRule/agentops-operator", applied);
        Assert.Contains("ServiceMonitor/agentops-operator", applied);
        Assert.Contains("Deployment/agentops-operator", applied);

        // The operator with the chart ServiceAccount's own token (TokenRequest, as a pod would get it).
        var token = await admin.Api.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { ExpirationSeconds = 3600 } }, "agentops-operator", ReleaseNamespace);
        var plane = await RealCluster.PlaneAsync();
        await using var h = await Reconcile.OperatorHarness.StartAsync(new Reconcile.HarnessOptions
        {
            OperatorConfig = plane.Config(token.Status.Token, ReleaseNamespace),
        }, "chart");
        await h.CreateRunAsync(h.RunYaml("rbac"));
        // Executors are the pool's children (blockOwnerDeletion on a SandboxPool): before sandboxpools/finalizers was in
        // the chart, the API server answered 403 and no executors were made.
        await h.WaitForAsync(ResourceType.Deployment, "rbac-executors-executor", _ => true);
        var run = await h.WaitForAsync(ResourceType.TrainingRun, "rbac", o => (string?)o["status"]?["phase"] == "Running");
        Assert.Contains(Names.StreamFinalizer, run.Finalizers());
        Assert.Contains(await h.EventsAsync(), e => e.Reason == "Running" && e.Regarding.Name == "rbac");
    }
}
