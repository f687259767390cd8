using AgentOps.Operator.Eval;

namespace AgentOps.Operator.Report;

/// <summary>What report.html is made of. <paramref name="Examples"/>: episodes to show, with a caption.</summary>
public sealed record ReportInput(
    string RunName,
    string Environment,
    string ManifestPath,
    MetricsLog Metrics,
    IReadOnlyList<EvalResult> Evaluations,
    IReadOnlyList<(string Caption, EpisodeResult Episode)> Examples,
    IReadOnlyList<string> Notes);
