using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace AgentOps.Protos.Api;

/// <summary>
/// THE validator of TrainingRun and SandboxPool, used by the operator, <c>agentops run</c>, the trainer and the
/// executors. Returns every error, each naming the field path and the value seen. Bounds and enums come from
/// the attributes on the records; rules between fields mirror the CRDs' CEL <c>x-kubernetes-validations</c>.
/// </summary>
public static partial class ManifestValidator
{
    public static IReadOnlyList<ManifestError> Validate(TrainingRun run)
    {
        var errors = new List<ManifestError>();
        CheckHeader(run.ApiVersion, run.Kind, ApiConstants.TrainingRunKind, errors);
        CheckName(run.Metadata, ApiConstants.MaxNameLength, errors);
        Walk(run.Spec, "spec", errors);
        CheckRules(run.Spec, errors);
        return errors;
    }

    public static IReadOnlyList<ManifestError> Validate(SandboxPool pool)
    {
        var errors = new List<ManifestError>();
        CheckHeader(pool.ApiVersion, pool.Kind, ApiConstants.SandboxPoolKind, errors);
        CheckName(pool.Metadata, ApiConstants.MaxPoolNameLength, errors);
        Walk(pool.Spec, "spec", errors);
        if (pool.Spec.TrainingRun.Length > 0 && !DnsLabel().IsMatch(pool.Spec.TrainingRun))
            errors.Add(new("spec.trainingRun", $"must be a TrainingRun name (lowercase letters, digits and '-'), got \"{pool.Spec.TrainingRun}\""));
        return errors;
    }

    /// <summary>Cross-field rules; each has the same CEL rule in crds/trainingruns.yaml, except the settings keys
    /// (<see cref="EnvironmentSettingsSchema"/>), which the operator reports as InvalidSpec.</summary>
    private static void CheckRules(TrainingRunSpec spec, List<ManifestError> errors)
    {
        if (spec.Agent.MaxNewTokens >= spec.Agent.MaxContextTokens)
            errors.Add(new("spec.agent.maxNewTokens",
                $"must be less than spec.agent.maxContextTokens ({spec.Agent.MaxContextTokens}), got {spec.Agent.MaxNewTokens}"));
        if (spec.Algorithm.WarmupSteps > spec.Algorithm.Steps)
            errors.Add(new("spec.algorithm.warmupSteps",
                $"must be at most spec.algorithm.steps ({spec.Algorithm.Steps}), got {spec.Algorithm.WarmupSteps}"));
        if (spec.Queue.MaxBacklog > spec.Queue.MaxLength)
            errors.Add(new("spec.queue.maxBacklog",
                $"must be at most spec.queue.maxLength ({spec.Queue.MaxLength}), got {spec.Queue.MaxBacklog}"));
        if (spec.Algorithm.Name == "sft" && !spec.Policy.Sft.Enabled)
            errors.Add(new("spec.policy.sft.enabled", "must be true when spec.algorithm.name is \"sft\", got false"));
        if (spec.Sandbox.PoolRef.Length > 0 && !DnsLabel().IsMatch(spec.Sandbox.PoolRef))
            errors.Add(new("spec.sandbox.poolRef", $"must be a SandboxPool name (lowercase letters, digits and '-'), got \"{spec.Sandbox.PoolRef}\""));
        errors.AddRange(EnvironmentSettingsSchema.Check(spec.Environment));
        if (spec.Trainer.Resources.Gpu > 0 && spec.Trainer.Device != "cuda")
            errors.Add(new("spec.trainer.resources.gpu",
                $"must be 0 unless spec.trainer.device is \"cuda\" (it is \"{spec.Trainer.Device}\"), got {spec.Trainer.Resources.Gpu}"));
        if (spec.Queue.RedisUrl.Length > 0 && !spec.Queue.RedisUrl.StartsWith("redis://", StringComparison.Ordinal)
            && !spec.Queue.RedisUrl.StartsWith("rediss://", StringComparison.Ordinal))
            errors.Add(new("spec.queue.redisUrl", $"must start with redis:// or rediss://, got \"{spec.Queue.RedisUrl}\""));
    }

    private static void CheckHeader(string apiVersion, string kind, string expectedKind, List<ManifestError> errors)
    {
        if (apiVersion != ApiConstants.ApiVersion)
            errors.Add(new("apiVersion", $"must be \"{ApiConstants.ApiVersion}\", got \"{apiVersion}\""));
        if (kind != expectedKind)
            errors.Add(new("kind", $"must be \"{expectedKind}\", got \"{kind}\""));
    }

    private static void CheckName(ObjectMeta meta, int maxLength, List<ManifestError> errors)
    {
        if (meta.Name.Length == 0) return; // reported as a missing required field by the parser
        if (meta.Name.Length > maxLength || !DnsLabel().IsMatch(meta.Name))
            errors.Add(new("metadata.name",
                $"must be lowercase letters, digits and '-', start and end with a letter or digit, at most {maxLength} characters, got \"{meta.Name}\""));
    }

    /// <summary>Bounds, enums and quantities from the attributes, recursively.</summary>
    private static void Walk(object record, string path, List<ManifestError> errors)
    {
        foreach (var (name, prop) in ApiSchema.Properties(record.GetType()))
        {
            var fieldPath = path + "." + name;
            var value = prop.GetValue(record);
            if (prop.GetCustomAttribute<BoundsAttribute>() is { } b && value is not null)
            {
                var v = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (v < b.Minimum || v > b.Maximum)
                    errors.Add(new(fieldPath, $"must be between {Format(b.Minimum)} and {Format(b.Maximum)}, got {Format(v)}"));
            }
            if (prop.GetCustomAttribute<OneOfAttribute>() is { } e && value is string s && !e.Values.Contains(s))
                errors.Add(new(fieldPath, $"unknown {e.Noun} \"{s}\" (known: {string.Join(", ", e.Values)})"));
            if (prop.GetCustomAttribute<QuantityAttribute>() is not null && value is string q && !Quantity().IsMatch(q))
                errors.Add(new(fieldPath, $"invalid quantity \"{q}\" (examples: \"2\", \"500m\", \"4Gi\")"));
            if (value is not null && IsApiRecord(prop.PropertyType))
                Walk(value, fieldPath, errors);
        }
    }

    internal static bool IsApiRecord(Type t) =>
        t.IsClass && t != typeof(string) && t.Namespace == typeof(TrainingRun).Namespace;

    internal static string Format(double v) => v.ToString("G", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    /// <summary>Kubernetes resource.Quantity, decimal and binary SI suffixes (no exponent form).</summary>
    [GeneratedRegex("^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")]
    internal static partial Regex Quantity();
}
