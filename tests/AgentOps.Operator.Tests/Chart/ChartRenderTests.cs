using System.Diagnostics;
using System.Text.RegularExpressions;
using AgentOps.Operator.Kube;
using YamlDotNet.RepresentationModel;

namespace AgentOps.Operator.Tests.Chart;

/// <summary>
/// helm is not installed here, so the chart keeps to plain substitution ({{ .Values.x }}, {{ .Release.* }})
/// and top-level if-blocks, which this test renders itself; every rendered document must parse, RBAC must
/// cover what the operator touches, the chart's CRDs must be the ones in crds/, and promtool must accept
/// the PrometheusRule's rules.
/// </summary>
public partial class ChartRenderTests
{
    private static readonly string ChartDir = RepoPaths.Of("charts", "agentops");

    [Fact]
    public void EveryTemplate_RendersToValidYaml_WithNoUnresolvedValues()
    {
        foreach (var (file, docs) in RenderAll())
        {
            Assert.NotEmpty(docs);
            foreach (var doc in docs)
            {
                Assert.DoesNotContain("{{", doc);
                var root = (YamlMappingNode)Parse(doc);
                Assert.True(root.Children.ContainsKey(new YamlScalarNode("apiVersion")), $"{file}: a document without apiVersion");
                Assert.True(root.Children.ContainsKey(new YamlScalarNode("kind")), $"{file}: a document without kind");
            }
        }
    }

    [Fact]
    public void ClusterRole_GrantsEveryResourceTheOperatorUses()
    {
        var rbac = RenderAll().Single(r => r.File == "rbac.yaml").Docs.Select(d => (YamlMappingNode)Parse(d)).ToList();
        var rules = rbac.Where(d => ((YamlScalarNode)d["kind"]).Value is "ClusterRole" or "Role")
            .SelectMany(d => ((YamlSequenceNode)d["rules"]).Children.Cast<YamlMappingNode>())
            .SelectMany(r => Strings(r["apiGroups"]).SelectMany(g => Strings(r["resources"]).Select(res => (g, res, Verbs: Strings(r["verbs"])))))
            .ToList();
        foreach (var type in ResourceType.Known)
        {
            var needed = type == ResourceType.Event ? new[] { "create" } : ["get", "list", "watch", "create", "update", "patch"];
            var granted = rules.Where(r => r.g == type.Group && r.res == type.Plural).SelectMany(r => r.Verbs).ToHashSet();
            foreach (var verb in needed) Assert.True(granted.Contains(verb), $"RBAC: {verb} on {type.Group}/{type.Plural} is not granted");
        }
        Assert.Contains(rules, r => r.res == "trainingruns/status" && r.Verbs.Contains("update"));
        // Every kind the operator makes owners of (blockOwnerDeletion needs update on the owner's finalizers).
        foreach (var owner in new[] { ResourceType.TrainingRun, ResourceType.SandboxPool })
            Assert.True(rules.Any(r => r.g == owner.Group && r.res == owner.Plural + "/finalizers" && r.Verbs.Contains("update")),
                $"RBAC: update on {owner.Plural}/finalizers is not granted");
    }

    [Fact]
    public void ChartCrds_AreTheCrdsUnderCrdsFolder()
    {
        foreach (var file in Directory.GetFiles(RepoPaths.Of("crds"), "*.yaml"))
            Assert.Equal(File.ReadAllText(file), File.ReadAllText(Path.Combine(ChartDir, "crds", Path.GetFileName(file))));
    }

    [Fact]
    public void PrometheusRules_PassPromtool()
    {
        var rule = (YamlMappingNode)Parse(RenderAll().Single(r => r.File == "prometheusrule.yaml").Docs.Single());
        var groups = new YamlMappingNode { { "groups", ((YamlMappingNode)rule["spec"])["groups"] } };
        var path = Path.Combine(Path.GetTempPath(), $"agentops-rules-{Guid.NewGuid():N}.yaml");
        using (var w = new StreamWriter(path)) new YamlStream(new YamlDocument(groups)).Save(w, assignAnchors: false);
        try
        {
            var psi = new ProcessStartInfo("promtool", ["check", "rules", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, output);
            Assert.Contains("SUCCESS: 4 rules found", output);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void DisabledOptionalParts_RenderToNothing()
    {
        var values = Values();
        values["redis.enabled"] = "false";
        values["runtimeClass.create"] = "false";
        Assert.Empty(Render(File.ReadAllText(Path.Combine(ChartDir, "templates", "redis.yaml")), values));
        values["redis.enabled"] = "true";
        Assert.Equal(2, Render(File.ReadAllText(Path.Combine(ChartDir, "templates", "redis.yaml")), values).Count);
    }

    private static IEnumerable<string> Strings(YamlNode n) => ((YamlSequenceNode)n).Children.Select(c => ((YamlScalarNode)c).Value!);

    private static YamlNode Parse(string doc)
    {
        var s = new YamlStream();
        s.Load(new StringReader(doc));
        return s.Documents[0].RootNode;
    }

    internal static List<(string File, List<string> Docs)> RenderAll()
    {
        var values = Values();
        // Render with every optional part on.
        foreach (var k in values.Keys.Where(k => k.EndsWith(".enabled") || k.EndsWith(".create")).ToList()) values[k] = "true";
        return Directory.GetFiles(Path.Combine(ChartDir, "templates"), "*.yaml")
            .Select(f => (Path.GetFileName(f), Render(File.ReadAllText(f), values))).ToList();
    }

    /// <summary>values.yaml flattened to dotted keys.</summary>
    private static Dictionary<string, string> Values()
    {
        var result = new Dictionary<string, string>();
        Flatten((YamlMappingNode)Parse(File.ReadAllText(Path.Combine(ChartDir, "values.yaml"))), "", result);
        return result;

        static void Flatten(YamlMappingNode node, string prefix, Dictionary<string, string> into)
        {
            foreach (var (k, v) in node.Children)
            {
                var key = prefix + ((YamlScalarNode)k).Value;
                if (v is YamlMappingNode m) Flatten(m, key + ".", into);
                else into[key] = ((YamlScalarNode)v).Value ?? "";
            }
        }
    }

    /// <summary>The subset of Go templates the chart uses: if-blocks, .Values, .Release.Name/Namespace.</summary>
    internal static List<string> Render(string template, IReadOnlyDictionary<string, string> values)
    {
        var text = IfBlock().Replace(template, m =>
        {
            var key = m.Groups[1].Value;
            if (!values.TryGetValue(key, out var v)) throw new KeyNotFoundException($"template uses .Values.{key}, not in values.yaml");
            return v == "true" ? m.Groups[2].Value : "";
        });
        text = text.Replace("{{ .Release.Name }}", "agentops").Replace("{{ .Release.Namespace }}", "agentops-system");
        text = ValueRef().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var v) ? v
            : throw new KeyNotFoundException($"template uses .Values.{m.Groups[1].Value}, not in values.yaml"));
        return text.Split("\n---", StringSplitOptions.RemoveEmptyEntries)
            .Select(d => d.Trim()).Where(d => d.Split('\n').Any(l => l.Length > 0 && !l.StartsWith('#'))).ToList();
    }

    [GeneratedRegex(@"\{\{- if \.Values\.([\w.]+) \}\}\n(.*?)\{\{- end \}\}\n?", RegexOptions.Singleline)]
    private static partial Regex IfBlock();

    [GeneratedRegex(@"\{\{ \.Values\.([\w.]+) \}\}")]
    private static partial Regex ValueRef();
}
