namespace AgentOps.Protos.Api;

// Validation facts attached to the API records. The validator, the CRD-agreement test and the error
// messages all read these, so a bound is written once (the CRDs under crds/ must match them; a test checks).

/// <summary>The field must be present in the manifest (no default makes sense).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RequiredFieldAttribute : Attribute;

/// <summary>Inclusive numeric bounds: OpenAPI <c>minimum</c>/<c>maximum</c>.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class BoundsAttribute(double minimum, double maximum) : Attribute
{
    public double Minimum { get; } = minimum;
    public double Maximum { get; } = maximum;
}

/// <summary>The string must be one of these values: OpenAPI <c>enum</c>.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OneOfAttribute(string noun, params string[] values) : Attribute
{
    /// <summary>What the value names, for messages: unknown environment "foo".</summary>
    public string Noun { get; } = noun;
    public IReadOnlyList<string> Values { get; } = values;
}

/// <summary>A Kubernetes resource quantity ("2", "500m", "4Gi"): OpenAPI <c>x-kubernetes-int-or-string</c>.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class QuantityAttribute : Attribute;

/// <summary>Unknown fields inside this record are ignored (Kubernetes metadata and status carry many).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class OpenFieldsAttribute : Attribute;
