using System.Text;

namespace AgentOps.Protos.Metrics;

/// <summary>Writes one family in the Prometheus text exposition format 0.0.4 (HELP, TYPE, then samples).</summary>
internal static class PrometheusTextWriter
{
    public static void WriteFamily(StringBuilder sb, MetricFamily family)
    {
        var series = family.Series.Values.OrderBy(s => s.Labels, StringComparer.Ordinal).ToArray();
        if (series.Length == 0) return;
        sb.Append("# HELP ").Append(family.Name).Append(' ').Append(PrometheusNames.EscapeHelp(family.Help)).Append('\n');
        sb.Append("# TYPE ").Append(family.Name).Append(' ').Append(family.Kind switch
        {
            MetricKind.Counter => "counter",
            MetricKind.Histogram => "histogram",
            _ => "gauge",
        }).Append('\n');
        foreach (var s in series)
        {
            if (family.Kind == MetricKind.Histogram) WriteHistogram(sb, family, s);
            else Sample(sb, family.Name, s.Labels, null, s.Value);
        }
    }

    private static void WriteHistogram(StringBuilder sb, MetricFamily family, MetricSeries s)
    {
        // Cumulative buckets; _count is the +Inf bucket so the two always agree within one scrape.
        long cumulative = 0;
        for (var i = 0; i < family.Bounds.Length; i++)
        {
            cumulative += Interlocked.Read(ref s.Buckets[i]);
            Sample(sb, family.Name + "_bucket", s.Labels, PrometheusNames.FormatValue(family.Bounds[i]), cumulative);
        }
        cumulative += Interlocked.Read(ref s.Buckets[^1]);
        Sample(sb, family.Name + "_bucket", s.Labels, "+Inf", cumulative);
        Sample(sb, family.Name + "_sum", s.Labels, null, s.Sum);
        Sample(sb, family.Name + "_count", s.Labels, null, cumulative);
    }

    private static void Sample(StringBuilder sb, string name, string labels, string? le, double value)
    {
        sb.Append(name);
        if (le is null) sb.Append(labels);
        else if (labels.Length == 0) sb.Append("{le=\"").Append(le).Append("\"}");
        else sb.Append(labels, 0, labels.Length - 1).Append(",le=\"").Append(le).Append("\"}");
        sb.Append(' ').Append(PrometheusNames.FormatValue(value)).Append('\n');
    }
}
