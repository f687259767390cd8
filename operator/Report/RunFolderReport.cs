using System.Text.Json;
using AgentOps.Operator.Eval;

namespace AgentOps.Operator.Report;

/// <summary>
/// report.html from what a run folder holds: metrics.jsonl and eval/summary.json (the held-out table,
/// written by `agentops run` after its evaluations), so `agentops report RUN_DIR` can redraw it any time.
/// </summary>
public static class RunFolderReport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private sealed record SummaryRow(string Label, string Checkpoint, int Episodes, int Successes, double Low, double High, string ResultsPath, double WallSeconds);

    private sealed record Summary(string RunName, string Environment, string ManifestPath, List<SummaryRow> Evaluations, List<string> Notes);

    public static string SummaryPath(string runDir) => Path.Combine(runDir, "eval", "summary.json");

    public static void SaveSummary(string runDir, string runName, string environment, string manifestPath, IReadOnlyList<EvalResult> evaluations, IReadOnlyList<string> notes)
    {
        Directory.CreateDirectory(Path.Combine(runDir, "eval"));
        var rows = evaluations.Select(r => new SummaryRow(r.Label, r.Checkpoint, r.Episodes, r.Successes, r.Interval.Low, r.Interval.High, r.ResultsPath, r.WallSeconds)).ToList();
        File.WriteAllText(SummaryPath(runDir), JsonSerializer.Serialize(new Summary(runName, environment, manifestPath, rows, notes.ToList()), Json));
    }

    /// <summary>Writes RUN_DIR/report.html and returns its path.</summary>
    public static string Write(string runDir, string runName, string environment, string manifestPath, IReadOnlyList<EvalResult> evaluations, IReadOnlyList<string> notes)
    {
        var all = notes.ToList();
        var metricsPath = Path.Combine(runDir, "metrics.jsonl");
        MetricsLog metrics;
        if (File.Exists(metricsPath)) metrics = MetricsLog.Read(metricsPath);
        else
        {
            metrics = new MetricsLog([]);
            all.Add($"{metricsPath} does not exist: the trainer logged no steps.");
        }
        var path = Path.Combine(runDir, "report.html");
        ReportWriter.Write(path, new ReportInput(runName, environment, manifestPath, metrics, evaluations,
            ReportWriter.PickExamples(evaluations.LastOrDefault(r => r.Label != EvalTable.TextOnlySft) ?? evaluations.LastOrDefault()), all));
        return path;
    }

    /// <summary>Redraws from the saved summary (or with no evaluation table when there is none).</summary>
    public static string Redraw(string runDir)
    {
        var summaryPath = SummaryPath(runDir);
        if (!File.Exists(summaryPath))
            return Write(runDir, Path.GetFileName(Path.GetFullPath(runDir).TrimEnd('/')), "", "", [], [$"{summaryPath} does not exist: no evaluation has been run."]);
        var s = JsonSerializer.Deserialize<Summary>(File.ReadAllText(summaryPath), Json)
            ?? throw new InvalidDataException($"{summaryPath}: empty");
        var evals = s.Evaluations.Select(r => new EvalResult(r.Label, r.Checkpoint, r.Episodes, r.Successes, new WilsonInterval(r.Low, r.High), r.ResultsPath, r.WallSeconds)).ToList();
        return Write(runDir, s.RunName, s.Environment, s.ManifestPath, evals, s.Notes);
    }
}
