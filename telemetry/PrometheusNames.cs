using System.Globalization;
using System.Text;

namespace AgentOps.Protos.Metrics;

/// <summary>
/// Names, label values and numbers as the Prometheus text exposition format 0.0.4 wants them
/// (prometheus/docs exposition_formats.md: metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
/// [a-zA-Z_][a-zA-Z0-9_]*, label values escape \ " and newline, HELP escapes \ and newline).
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

    /// <summary>Label value escaping: backslash, double quote and line feed.</summary>
    public static void AppendLabelValue(StringBuilder sb, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                default: sb.Append(c); break;
            }
        }
    }

    /// <summary>HELP text escaping: backslash and line feed.</summary>
    public static string EscapeHelp(string help) => help.Replace("\\", "\\\\").Replace("\n", "\\n");

    /// <summary>A sample value: Go's ParseFloat syntax, with +Inf, -Inf and NaN spelled as Prometheus does.</summary>
    public static string FormatValue(double v) =>
        double.IsPositiveInfinity(v) ? "+Inf"
        : double.IsNegativeInfinity(v) ? "-Inf"
        : double.IsNaN(v) ? "NaN"
        : v.ToString("R", CultureInfo.InvariantCulture);
}
