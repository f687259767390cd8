using System.Text;

namespace AgentOps.Telemetry;

/// <summary>
/// The names our instruments get in Prometheus (prometheus/docs exposition_formats.md: metric names match
/// [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*); escaping and numbers are prometheus-net's.
/// </summary>
public static class PrometheusNames
{
    /// <summary>Every exported name starts with this (DESIGN.md: metric names prefixed <c>agentops_</c>).</summary>
    public const string Prefix = "agentops_";

    /// <summary>
    /// The family name of an instrument: sanitised, prefixed with <c>agentops_</c> when it is not already, the unit
    /// appended as OpenTelemetry's Prometheus exporter does ("s" -> _seconds, "By" -> _bytes) unless already there.
    /// The <c>_total</c> suffix of counters is added by the writer, not here.
    /// </summary>
    public static string MetricName(string instrumentName, string? unit)
    {
        var name = Sanitize(instrumentName, allowColon: true);
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) name = Prefix + name;
        var suffix = unit switch
        {
            "s" => "_seconds",
            "By" => "_bytes",
            _ => null,
        };
        if (suffix is not null && !name.EndsWith(suffix, StringComparison.Ordinal) && !name.EndsWith(suffix + "_total", StringComparison.Ordinal))
            name += suffix;
        return name;
    }

    /// <summary>A label name: invalid characters become '_', a leading digit gets a '_' in front.</summary>
    public static string LabelName(string key) => Sanitize(key, allowColon: false);

    /// <summary>Replaces every character outside [a-zA-Z0-9_] (and ':' for metric names) with '_'.</summary>
    public static string Sanitize(string raw, bool allowColon)
    {
        if (string.IsNullOrEmpty(raw)) return "_";
        var sb = new StringBuilder(raw.Length + 1);
        if (char.IsAsciiDigit(raw[0])) sb.Append('_');
        foreach (var c in raw)
            sb.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_');
        return sb.ToString();
    }
}
