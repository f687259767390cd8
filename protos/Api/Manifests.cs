using System.Text.Json;
using System.Text.Json.Serialization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace AgentOps.Protos.Api;

/// <summary>
/// Reading and writing TrainingRun / SandboxPool manifests, YAML or JSON (JSON is parsed as YAML 1.2 flow
/// style, so both go through one binder). Parsing applies defaults, then <see cref="ManifestValidator"/>.
/// </summary>
public static class Manifests
{
    /// <summary>camelCase, nulls omitted: the Kubernetes JSON shape.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly ISerializer YamlWriter = new SerializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
        .WithQuotingNecessaryStrings()
        .DisableAliases()
        .Build();

    /// <summary>
    /// Parses a TrainingRun from YAML or JSON text. With several YAML documents, the first whose kind is
    /// TrainingRun is used. <paramref name="rejectUnknownFields"/>: true for <c>agentops run</c> (a typo is an
    /// error naming the field); false for objects read back from the API server (a warning).
    /// </summary>
    public static ManifestResult<TrainingRun> ParseTrainingRun(string text, bool rejectUnknownFields = true)
        => Parse<TrainingRun>(text, ApiConstants.TrainingRunKind, rejectUnknownFields, ManifestValidator.Validate);

    public static ManifestResult<SandboxPool> ParseSandboxPool(string text, bool rejectUnknownFields = true)
        => Parse<SandboxPool>(text, ApiConstants.SandboxPoolKind, rejectUnknownFields, ManifestValidator.Validate);

    /// <summary>Reads, parses and validates a TrainingRun file; throws <see cref="ManifestException"/> listing every error.</summary>
    public static TrainingRun LoadTrainingRun(string path)
        => ParseTrainingRun(File.ReadAllText(path)).GetValueOrThrow(path);

    public static SandboxPool LoadSandboxPool(string path)
        => ParseSandboxPool(File.ReadAllText(path)).GetValueOrThrow(path);

    public static string ToYaml(object value) => YamlWriter.Serialize(value);

    public static string ToJson(object value, bool indented = false) =>
        JsonSerializer.Serialize(value, value.GetType(), indented ? new JsonSerializerOptions(Json) { WriteIndented = true } : Json);

    private static ManifestResult<T> Parse<T>(string text, string kind, bool rejectUnknown, Func<T, IReadOnlyList<ManifestError>> validate)
        where T : class
    {
        var errors = new List<ManifestError>();
        var warnings = new List<ManifestError>();
        YamlNode? root;
        try
        {
            root = SelectDocument(text, kind);
        }
        catch (YamlException e)
        {
            errors.Add(new("(root)", $"invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}"));
            return new(null, errors, warnings);
        }
        if (root is null)
        {
            errors.Add(new("(root)", "the manifest is empty"));
            return new(null, errors, warnings);
        }
        var value = new ManifestBinder(errors, warnings, rejectUnknown).BindRoot<T>(root);
        if (value is null) return new(null, errors, warnings);
        // Field errors first (a wrong type leaves the default in place, so range checks on it would mislead).
        var reported = errors.Select(e => e.Path).ToList();
        foreach (var e in validate(value))
            if (!reported.Any(p => e.Path == p || e.Path.StartsWith(p + ".", StringComparison.Ordinal))) errors.Add(e);
        return new(errors.Count == 0 ? value : null, errors, warnings);
    }

    private static YamlNode? SelectDocument(string text, string kind)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var documents = stream.Documents.Select(d => d.RootNode).Where(n => !ManifestBinder.IsNull(n)).ToList();
        return documents.FirstOrDefault(d => d is YamlMappingNode m
                && m.Children.TryGetValue(new YamlScalarNode("kind"), out var k) && (k as YamlScalarNode)?.Value == kind)
            ?? documents.FirstOrDefault();
    }
}
