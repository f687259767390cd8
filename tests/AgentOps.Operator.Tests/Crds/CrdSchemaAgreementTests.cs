using System.Globalization;
using System.Reflection;
using AgentOps.Protos.Api;
using YamlDotNet.RepresentationModel;

namespace AgentOps.Operator.Tests.Crds;

/// <summary>
/// The CRDs under crds/ and the C# records in protos/Api must describe the same API: every property both
/// ways, the same types, defaults, bounds, enums and required fields.
/// </summary>
public class CrdSchemaAgreementTests
{
    [Theory]
    [InlineData("trainingruns.yaml", typeof(TrainingRunSpec), typeof(TrainingRunStatus))]
    [InlineData("sandboxpools.yaml", typeof(SandboxPoolSpec), typeof(SandboxPoolStatus))]
    public void SchemaMatchesTheRecords(string file, Type specType, Type statusType)
    {
        var root = OpenApiRoot(file);
        var problems = new List<string>();
        var props = (YamlMappingNode)root["properties"];
        Compare(props["spec"], specType, "spec", problems, expectDefaults: true);
        Compare(props["status"], statusType, "status", problems, expectDefaults: false);
        Assert.Empty(problems);
    }

    [Fact]
    public void Agreement_DetectsADrift()
    {
        // The comparer is what the test above relies on: a schema with a wrong bound must be reported.
        var schema = (YamlMappingNode)Load("""
            type: object
            properties:
              maxTurns: {type: integer, format: int32, minimum: 1, maximum: 65, default: 4}
              maxNewTokens: {type: integer, format: int32, minimum: 1, maximum: 8192, default: 96}
              maxContextTokens: {type: integer, format: int32, minimum: 16, maximum: 32768, default: 512}
              temperature: {type: number, minimum: 0, maximum: 10, default: 1}
              extra: {type: string}
            """);
        var problems = new List<string>();
        Compare(schema, typeof(AgentSpec), "spec.agent", problems, expectDefaults: true);
        Assert.Equal([
            "spec.agent.topP: in the C# record but not in the CRD",
            "spec.agent.extra: in the CRD but not in the C# record",
            "spec.agent.maxTurns: maximum 65 in the CRD, 64 in C#",
        ], problems);
    }

    [Theory]
    [InlineData("trainingruns.yaml")]
    [InlineData("sandboxpools.yaml")]
    public void PrinterColumnsPointAtSchemaFields(string file)
    {
        var version = Version(file);
        var schema = OpenApiRoot(file);
        foreach (YamlMappingNode column in (YamlSequenceNode)version["additionalPrinterColumns"])
        {
            var path = ((YamlScalarNode)column["jsonPath"]).Value!;
            if (path.StartsWith(".metadata.", StringComparison.Ordinal)) continue;
            Assert.True(Resolve(schema, path) is not null, $"{file}: printer column {path} is not in the schema");
        }
    }

    [Fact]
    public void SandboxPoolScaleSubresource_PointsAtReplicasAndSelector()
    {
        var scale = (YamlMappingNode)((YamlMappingNode)Version("sandboxpools.yaml")["subresources"])["scale"];
        var schema = OpenApiRoot("sandboxpools.yaml");
        Assert.Equal(".spec.replicas", ((YamlScalarNode)scale["specReplicasPath"]).Value);
        Assert.Equal(".status.replicas", ((YamlScalarNode)scale["statusReplicasPath"]).Value);
        Assert.Equal(".status.selector", ((YamlScalarNode)scale["labelSelectorPath"]).Value);
        Assert.Equal("integer", Scalar(Resolve(schema, ".spec.replicas")!, "type"));
        Assert.Equal("integer", Scalar(Resolve(schema, ".status.replicas")!, "type"));
        Assert.Equal("string", Scalar(Resolve(schema, ".status.selector")!, "type"));
    }

    [Fact]
    public void CelRules_NameFieldsThatExist()
    {
        var spec = (YamlMappingNode)((YamlMappingNode)OpenApiRoot("trainingruns.yaml")["properties"])["spec"];
        var rules = (YamlSequenceNode)spec["x-kubernetes-validations"];
        Assert.True(rules.Children.Count >= 4);
        foreach (YamlMappingNode rule in rules)
        {
            var fieldPath = ((YamlScalarNode)rule["fieldPath"]).Value!;
            Assert.NotNull(Resolve(OpenApiRoot("trainingruns.yaml"), ".spec" + fieldPath));
        }
    }

    internal static YamlMappingNode Version(string file)
    {
        var doc = (YamlMappingNode)Load(File.ReadAllText(RepoPaths.Of("crds", file)));
        var versions = (YamlSequenceNode)((YamlMappingNode)doc["spec"])["versions"];
        return (YamlMappingNode)versions.Children.Single();
    }

    internal static YamlMappingNode OpenApiRoot(string file) =>
        (YamlMappingNode)((YamlMappingNode)Version(file)["schema"])["openAPIV3Schema"];

    private static YamlNode Load(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents[0].RootNode;
    }

    private static YamlMappingNode? Resolve(YamlMappingNode schema, string jsonPath)
    {
        YamlMappingNode? node = schema;
        foreach (var part in jsonPath.TrimStart('.').Split('.'))
        {
            if (node is null || !node.Children.TryGetValue(new YamlScalarNode("properties"), out var p)) return null;
            node = ((YamlMappingNode)p).Children.TryGetValue(new YamlScalarNode(part), out var n) ? n as YamlMappingNode : null;
        }
        return node;
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) ? (v as YamlScalarNode)?.Value : null;

    private static void Compare(YamlNode schemaNode, Type type, string path, List<string> problems, bool expectDefaults)
    {
        var schema = (YamlMappingNode)schemaNode;
        if (Scalar(schema, "type") != "object") { problems.Add($"{path}: type {Scalar(schema, "type")} in the CRD, object in C#"); return; }
        var csharp = ApiSchema.Properties(type);
        var crd = schema.Children.TryGetValue(new YamlScalarNode("properties"), out var p) ? (YamlMappingNode)p : new YamlMappingNode();
        var crdNames = crd.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();
        foreach (var name in csharp.Keys.Except(crdNames)) problems.Add($"{path}.{name}: in the C# record but not in the CRD");
        foreach (var name in crdNames.Except(csharp.Keys)) problems.Add($"{path}.{name}: in the CRD but not in the C# record");

        var required = schema.Children.TryGetValue(new YamlScalarNode("required"), out var r)
            ? ((YamlSequenceNode)r).Children.Select(c => ((YamlScalarNode)c).Value!).OrderBy(x => x).ToList() : [];
        var requiredCs = csharp.Where(kv => kv.Value.GetCustomAttribute<RequiredFieldAttribute>() is not null).Select(kv => kv.Key).OrderBy(x => x).ToList();
        if (!required.SequenceEqual(requiredCs))
            problems.Add($"{path}: required [{string.Join(", ", required)}] in the CRD, [{string.Join(", ", requiredCs)}] in C#");

        var instance = Activator.CreateInstance(type)!;
        foreach (var (name, prop) in csharp)
        {
            if (!crd.Children.TryGetValue(new YamlScalarNode(name), out var child)) continue;
            CompareProperty((YamlMappingNode)child, prop, prop.GetValue(instance), $"{path}.{name}", problems, expectDefaults);
        }
    }

    private static void CompareProperty(YamlMappingNode node, PropertyInfo prop, object? defaultValue, string path, List<string> problems, bool expectDefaults)
    {
        var type = Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType;
        var required = prop.GetCustomAttribute<RequiredFieldAttribute>() is not null;
        var crdDefault = Scalar(node, "default");
        var hasDefault = node.Children.ContainsKey(new YamlScalarNode("default"));
        if (prop.GetCustomAttribute<QuantityAttribute>() is not null)
        {
            if (Scalar(node, "x-kubernetes-int-or-string") != "true") problems.Add($"{path}: a quantity in C#, not int-or-string in the CRD");
            CheckDefault(defaultValue as string);
            return;
        }
        var (crdType, format) = (Scalar(node, "type"), Scalar(node, "format"));
        var expected = type == typeof(string) ? ("string", null)
            : type == typeof(int) ? ("integer", "int32")
            : type == typeof(long) ? ("integer", "int64")
            : type == typeof(double) ? ("number", null)
            : type == typeof(bool) ? ("boolean", null)
            : type == typeof(Dictionary<string, string>) ? ("object", null)
            : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? ("array", null)
            : ("object", (string?)null);
        if ((crdType, format) != expected) problems.Add($"{path}: {crdType}/{format} in the CRD, {expected.Item1}/{expected.Item2} in C#");

        if (prop.GetCustomAttribute<BoundsAttribute>() is { } b)
        {
            CheckBound("minimum", b.Minimum);
            CheckBound("maximum", b.Maximum);
        }
        else if (node.Children.ContainsKey(new YamlScalarNode("minimum"))) problems.Add($"{path}: bounds in the CRD, none in C#");

        var crdEnum = node.Children.TryGetValue(new YamlScalarNode("enum"), out var en)
            ? ((YamlSequenceNode)en).Children.Select(c => ((YamlScalarNode)c).Value!).ToList() : null;
        var csEnum = prop.GetCustomAttribute<OneOfAttribute>()?.Values.ToList();
        if (!(crdEnum ?? []).SequenceEqual(csEnum ?? []))
            problems.Add($"{path}: enum [{string.Join(", ", crdEnum ?? [])}] in the CRD, [{string.Join(", ", csEnum ?? [])}] in C#");

        if (expected.Item1 == "object" && type != typeof(Dictionary<string, string>))
        {
            Compare(node, type, path, problems, expectDefaults);
            if (expectDefaults && !required && Scalar(node, "default") is not null) problems.Add($"{path}: object default must be {{}}");
            if (expectDefaults && !required && !hasDefault) problems.Add($"{path}: no default {{}} in the CRD, so nested defaults would not apply");
            return;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var items = (YamlMappingNode)node["items"];
            var element = type.GetGenericArguments()[0];
            if (ManifestValidatorAccess.IsApiRecord(element)) Compare(items, element, path + "[]", problems, expectDefaults);
            return;
        }
        if (type == typeof(Dictionary<string, string>)) return;
        CheckDefault(defaultValue switch
        {
            null => null,
            bool v => v ? "true" : "false",
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => defaultValue.ToString(),
        });

        void CheckBound(string key, double csValue)
        {
            var s = Scalar(node, key);
            if (s is null || double.Parse(s, CultureInfo.InvariantCulture) != csValue)
                problems.Add($"{path}: {key} {s ?? "absent"} in the CRD, {csValue.ToString(CultureInfo.InvariantCulture)} in C#");
        }

        void CheckDefault(string? csDefault)
        {
            if (!expectDefaults || required)
            {
                if (hasDefault) problems.Add($"{path}: default {crdDefault} in the CRD for a {(required ? "required" : "status")} field");
                return;
            }
            var equal = crdDefault == csDefault
                || (double.TryParse(crdDefault, CultureInfo.InvariantCulture, out var x) && double.TryParse(csDefault, CultureInfo.InvariantCulture, out var y) && x == y);
            if (!equal) problems.Add($"{path}: default {crdDefault ?? "absent"} in the CRD, {csDefault ?? "null"} in C#");
        }
    }
}

/// <summary>Same test as <see cref="ManifestValidator"/> uses to tell API records from scalars.</summary>
internal static class ManifestValidatorAccess
{
    public static bool IsApiRecord(Type t) => t.IsClass && t != typeof(string) && t.Namespace == typeof(TrainingRun).Namespace;
}
