namespace AgentOps.Bench;

/// <summary>One row per measurement: which benchmark, what was measured, the value, its unit, a note.</summary>
public sealed class BenchTable
{
    private readonly List<(string Bench, string Metric, double Value, string Unit, string Note)> _rows = [];

    public bool Failed { get; private set; }

    public void Add(string bench, string metric, double value, string unit, string note = "")
    {
        if (metric == "FAILED") Failed = true;
        lock (_rows) _rows.Add((bench, metric, value, unit, note));
    }

    public void Print(TextWriter w)
    {
        var wb = Math.Max(5, _rows.Count == 0 ? 0 : _rows.Max(r => r.Bench.Length));
        var wm = Math.Max(6, _rows.Count == 0 ? 0 : _rows.Max(r => r.Metric.Length));
        w.WriteLine($"| {"bench".PadRight(wb)} | {"metric".PadRight(wm)} | {"value",12} | {"unit",-10} | note");
        w.WriteLine($"|-{new string('-', wb)}-|-{new string('-', wm)}-|-{new string('-', 12)}-|-{new string('-', 10)}-|-----");
        foreach (var r in _rows)
            w.WriteLine($"| {r.Bench.PadRight(wb)} | {r.Metric.PadRight(wm)} | {Format(r.Value),12} | {r.Unit,-10} | {r.Note}");
    }

    private static string Format(double v) =>
        double.IsNaN(v) ? "-" : Math.Abs(v) >= 1000 ? v.ToString("N0") : v.ToString("G4");
}

public interface IBench
{
    string Name { get; }
    Task RunAsync(BenchTable table);
}
