using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace AgentOps.Testing.Kube;

/// <summary>
/// `kubectl apply --server-side -f FILE` for what the tests install: each YAML document of a file is applied as-is
/// (application/apply-patch+yaml, the API server parses the YAML), CRDs are waited for until Established.
/// </summary>
public static class ManifestInstaller
{
    public const string FieldManager = "agentops-tests";

    /// <summary>Applies every CustomResourceDefinition in the YAML text and waits until each is Established.</summary>
    public static async Task<IReadOnlyList<string>> ApplyCrdsAsync(IKubernetes api, string yaml, CancellationToken ct = default)
    {
        var names = new List<string>();
        foreach (var (doc, name, kind) in Documents(yaml))
        {
            if (kind != "CustomResourceDefinition") throw new ArgumentException($"not a CustomResourceDefinition: {kind} {name}");
            await api.ApiextensionsV1.PatchCustomResourceDefinitionAsync(new V1Patch(YamlToJson(doc).ToJsonString(), V1Patch.PatchType.ApplyPatch), name,
                fieldManager: FieldManager, force: true, cancellationToken: ct);
            names.Add(name);
        }
        foreach (var name in names) await WaitEstablishedAsync(api, name, ct);
        return names;
    }

    public static async Task WaitEstablishedAsync(IKubernetes api, string name, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var crd = await api.ApiextensionsV1.ReadCustomResourceDefinitionAsync(name, cancellationToken: ct);
            if (crd.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"CRD {name} not Established in 60 s: {KubernetesJson.Serialize(crd.Status)}");
            await Task.Delay(100, ct);
        }
    }

    /// <summary>What kubectl sends for a YAML document: JSON with scalars typed by the YAML 1.2 core schema.</summary>
    public static JsonObject YamlToJson(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return Convert(stream.Documents[0].RootNode)!.AsObject();

        static JsonNode? Convert(YamlNode node) => node switch
        {
            YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, Convert(kv.Value)))),
            YamlSequenceNode s => new JsonArray(s.Children.Select(Convert).ToArray()),
            YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } p => p.Value switch
            {
                null or "" or "~" or "null" => null,
                "true" or "false" => JsonNode.Parse(p.Value),
                var v when double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _) => JsonNode.Parse(v),
                var v => JsonValue.Create(v),
            },
            YamlScalarNode q => JsonValue.Create(q.Value),
            _ => null,
        };
    }

    /// <summary>The documents of a YAML stream with their metadata.name and kind.</summary>
    public static IEnumerable<(string Yaml, string Name, string Kind)> Documents(string yaml)
    {
        foreach (var text in yaml.Split(["\n---\n", "\n---\r\n"], StringSplitOptions.RemoveEmptyEntries))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root) continue;
            var kind = (root.Children.TryGetValue("kind", out var k) ? ((YamlScalarNode)k).Value : null) ?? "";
            var meta = root.Children.TryGetValue("metadata", out var m) ? (YamlMappingNode)m : new YamlMappingNode();
            var name = (meta.Children.TryGetValue("name", out var n) ? ((YamlScalarNode)n).Value : null) ?? "";
            yield return (text, name, kind);
        }
    }

    public static async Task<string> CreateNamespaceAsync(IKubernetes api, string prefix, CancellationToken ct = default)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 9)];
        await api.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } }, cancellationToken: ct);
        return name;
    }

    /// <summary>True when the call failed with this HTTP status (the library's HttpOperationException).</summary>
    public static bool Is(this HttpOperationException e, HttpStatusCode code) => e.Response?.StatusCode == code;
}
