using System.Text;
using System.Text.Json;

namespace AgentOps.Trainer.Training;

/// <summary>Appends one JSON object per step to RUN_DIR/metrics.jsonl and flushes it (TEAM.md contract).</summary>
public sealed class MetricsJsonl(string path) : IDisposable
{
    private readonly StreamWriter _writer = new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));

    public string Path { get; } = path;

    public void Append(StepReport report)
    {
        _writer.Write(Format(report));
        _writer.Write('\n');
        _writer.Flush();
    }

    public static string Format(StepReport report)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteNumber("step", report.Step);
            w.WriteString("phase", report.Phase);
            w.WriteNumber("time", Math.Round(report.Time, 3));
            w.WriteStartObject("metrics");
            foreach (var (k, v) in report.Metrics)
            {
                // JSON has no NaN/Infinity: a metric that is not defined this step is left out rather than faked.
                if (double.IsFinite(v)) w.WriteNumber(k, v);
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    public static IEnumerable<StepReport> Read(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var metrics = new Dictionary<string, double>();
            foreach (var p in root.GetProperty("metrics").EnumerateObject()) metrics[p.Name] = p.Value.GetDouble();
            yield return new StepReport(root.GetProperty("step").GetInt64(), root.GetProperty("phase").GetString()!,
                root.GetProperty("time").GetDouble(), metrics);
        }
    }

    public void Dispose() => _writer.Dispose();
}
