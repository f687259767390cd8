using System.Text.Json;

namespace AgentOps.Operator.Report;

/// <summary>One line of RUN_DIR/metrics.jsonl (TEAM.md, "Trainer"), with <see cref="X"/> a step axis that
/// keeps increasing across phases even if the trainer restarts its step count for RL.</summary>
public sealed record MetricsRow(long Step, string Phase, double Time, IReadOnlyDictionary<string, double> Metrics, long X);

public sealed record Point(double X, double Y);

/// <summary>The trainer's per-step log, read for the report.</summary>
public sealed class MetricsLog(IReadOnlyList<MetricsRow> rows)
{
    public IReadOnlyList<MetricsRow> Rows { get; } = rows;

    public static MetricsLog Read(string path)
    {
        var rows = new List<MetricsRow>();
        long offset = 0, lastX = long.MinValue;
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement e;
            try { e = JsonDocument.Parse(line).RootElement; }
            catch (JsonException ex) { throw new InvalidDataException($"{path}:{lineNo}: not JSON ({ex.Message})", ex); }
            var step = e.TryGetProperty("step", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : rows.Count;
            var phase = e.TryGetProperty("phase", out var p) ? p.GetString() ?? "" : "";
            var time = e.TryGetProperty("time", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : 0;
            var metrics = new Dictionary<string, double>();
            if (e.TryGetProperty("metrics", out var m) && m.ValueKind == JsonValueKind.Object)
                foreach (var kv in m.EnumerateObject())
                    if (kv.Value.ValueKind == JsonValueKind.Number && double.IsFinite(kv.Value.GetDouble()))
                        metrics[kv.Name] = kv.Value.GetDouble();
            // A resumed run may log a step again: the later line wins, the axis stays monotonic.
            if (step + offset <= lastX && rows.Count > 0 && rows[^1].Phase != phase) offset = lastX + 1 - step;
            var x = step + offset;
            rows.RemoveAll(r => r.X == x);
            rows.Add(new MetricsRow(step, phase, time, metrics, x));
            lastX = Math.Max(lastX, x);
        }
        rows.Sort((a, b) => a.X.CompareTo(b.X));
        return new MetricsLog(rows);
    }

    public IReadOnlyList<Point> Series(string metric) =>
        Rows.Where(r => r.Metrics.ContainsKey(metric)).Select(r => new Point(r.X, r.Metrics[metric])).ToArray();

    public bool Has(string metric) => Rows.Any(r => r.Metrics.ContainsKey(metric));

    /// <summary>Where each phase after the first begins, on the X axis.</summary>
    public IReadOnlyList<(double X, string Phase)> PhaseStarts() =>
        Rows.Zip(Rows.Skip(1)).Where(p => p.First.Phase != p.Second.Phase).Select(p => ((double)p.Second.X, p.Second.Phase)).ToArray();

    public double WallSeconds => Rows.Count < 2 ? 0 : Rows[^1].Time - Rows[0].Time;
}
