using YamlDotNet.RepresentationModel;

namespace AgentOps.Operator.Local;

/// <summary>A manifest that did not validate: every error names the field path and the value seen.</summary>
public sealed class ManifestInvalidException(string path, IReadOnlyList<string> errors)
    : Exception($"{path}: {errors.Count} error(s): {string.Join("; ", errors)}")
{
    public string ManifestPath { get; } = path;
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Reads a TrainingRun file into <see cref="RunManifest"/>. Interim reader until team operator's
/// validator (protos/Api) lands; it checks only the fields `agentops run` acts on, in the agreed message
/// shape "field.path: must be …, got VALUE".
/// </summary>
public static class ManifestLoader
{
    public static readonly string[] Environments = ["arithmetic", "countdown", "tools", "multihop-qa", "cat"];

    public static RunManifest Load(string path)
    {
        if (!File.Exists(path))
            throw new ManifestInvalidException(path, [$"file: not found, got {path}"]);
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            yaml.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ManifestInvalidException(path, [$"yaml: {e.Message}"]);
        }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
            throw new ManifestInvalidException(path, ["(root): must be a mapping, got an empty document"]);

        var r = new FieldReader(root);
        var kind = r.String("kind", null);
        if (kind is not null && kind != "TrainingRun")
            r.Fail("kind", $"must be TrainingRun, got {kind}");
        var name = r.String("metadata.name", null) ?? "";
        if (name.Length == 0) r.Fail("metadata.name", "is required, got nothing");
        var env = r.String("spec.environment.name", null);
        if (env is null) r.Fail("spec.environment.name", "is required, got nothing");
        else if (!Environments.Contains(env))
            r.Fail("spec.environment.name", $"must be one of {string.Join(", ", Environments)}, got {env}");
        var runtime = r.String("spec.sandbox.runtime", "gvisor")!;
        if (runtime is not ("gvisor" or "process"))
            r.Fail("spec.sandbox.runtime", $"must be gvisor or process, got {runtime}");

        var manifest = new RunManifest(
            Path: System.IO.Path.GetFullPath(path),
            Name: name,
            Environment: env ?? "",
            Interpreter: r.Bool("spec.environment.interpreter", true),
            EvalTasks: r.Int("spec.environment.eval.tasks", 200, 1, 100_000),
            EvalSeed: r.Int("spec.environment.eval.seed", 100_000, 0, int.MaxValue),
            Runtime: runtime,
            Replicas: r.Int("spec.sandbox.replicas", 2, 1, 256),
            SftEnabled: r.Bool("spec.policy.sft.enabled", false),
            SftSteps: r.Int("spec.policy.sft.steps", 300, 0, 1_000_000),
            Algorithm: r.String("spec.algorithm.name", "grpo")!,
            RlSteps: r.Int("spec.algorithm.steps", 100, 0, 1_000_000),
            RedisUrl: r.String("spec.queue.redisUrl", "")!,
            ExportSftJsonl: r.Bool("spec.export.sftJsonl", false),
            Preset: r.String("spec.policy.preset", "tiny")!);
        if (r.Errors.Count > 0) throw new ManifestInvalidException(path, r.Errors);
        return manifest;
    }

    private sealed class FieldReader(YamlMappingNode root)
    {
        public List<string> Errors { get; } = [];

        public void Fail(string field, string message) => Errors.Add($"{field}: {message}");

        private YamlScalarNode? Scalar(string field)
        {
            YamlNode node = root;
            foreach (var part in field.Split('.'))
            {
                if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(part), out var child))
                    return null;
                node = child;
            }
            if (node is YamlScalarNode s) return s;
            Fail(field, $"must be a scalar, got a {node.NodeType.ToString().ToLowerInvariant()}");
            return null;
        }

        public string? String(string field, string? fallback) => Scalar(field)?.Value ?? fallback;

        public bool Bool(string field, bool fallback)
        {
            var v = Scalar(field)?.Value;
            if (v is null) return fallback;
            if (bool.TryParse(v, out var b)) return b;
            Fail(field, $"must be a boolean, got {v}");
            return fallback;
        }

        public int Int(string field, int fallback, int min, int max)
        {
            var v = Scalar(field)?.Value;
            if (v is null) return fallback;
            if (!int.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var i))
            {
                Fail(field, $"must be an integer, got {v}");
                return fallback;
            }
            if (i < min || i > max) Fail(field, $"must be between {min} and {max}, got {i}");
            return i;
        }
    }
}
