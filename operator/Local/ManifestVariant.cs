using YamlDotNet.RepresentationModel;

namespace AgentOps.Operator.Local;

/// <summary>
/// Writes a copy of a manifest with some scalar fields replaced (e.g. spec.environment.interpreter=false for
/// the ReTool comparison), keeping everything else as the user wrote it.
/// </summary>
public static class ManifestVariant
{
    public static void Write(string source, string destination, IReadOnlyDictionary<string, string> overrides)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(source)) yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        foreach (var (path, value) in overrides)
        {
            var parts = path.Split('.');
            var node = root;
            foreach (var part in parts[..^1])
            {
                var key = new YamlScalarNode(part);
                if (!node.Children.TryGetValue(key, out var child) || child is not YamlMappingNode map)
                {
                    map = new YamlMappingNode();
                    node.Children[key] = map;
                }
                node = map;
            }
            node.Children[new YamlScalarNode(parts[^1])] = new YamlScalarNode(value);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        using var writer = new StreamWriter(destination);
        yaml.Save(writer, assignAnchors: false);
    }
}
