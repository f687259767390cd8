namespace AgentOps.Operator.Eval;

/// <summary>The held-out table printed at the end of `agentops run` and by `agentops eval`, and what it shows.</summary>
public static class EvalTable
{
    public const string Untrained = "untrained", AfterSft = "after SFT", AfterRl = "after RL", TextOnlySft = "text-only SFT";

    public static void Print(IReadOnlyList<EvalResult> rows, TextWriter o)
    {
        if (rows.Count == 0) return;
        o.WriteLine();
        o.WriteLine($"{"model",-14} {"success",8}  {"95% Wilson interval",-20} {"episodes",9}");
        foreach (var r in rows)
            o.WriteLine($"{r.Label,-14} {r.SuccessRate * 100,7:0.0}%  [{r.Interval.Low * 100,5:0.0}%, {r.Interval.High * 100,5:0.0}%]     {r.Successes,4}/{r.Episodes,-4}");
        var findings = Findings(rows);
        if (findings.Count > 0) o.WriteLine();
        foreach (var f in findings) o.WriteLine(f);
    }

    /// <summary>
    /// The comparisons the table exists for, each with the 95% interval of the difference (Newcombe): RL against
    /// SFT (issue: RL must beat SFT by more than the interval), SFT against the untrained model, and the ReTool
    /// comparison (interpreter against text-only answers after the same SFT budget). When both rows' per-task
    /// results are readable and cover the same tasks (the held-out seed is fixed, so they do) the interval is the
    /// paired one over those tasks; otherwise the independent one.
    /// </summary>
    public static IReadOnlyList<string> Findings(IReadOnlyList<EvalResult> rows)
    {
        EvalResult? Row(string label) => rows.FirstOrDefault(r => r.Label == label);
        var lines = new List<string>();
        void Compare(string what, EvalResult? a, EvalResult? b)
        {
            if (a is null || b is null || a.Episodes == 0 || b.Episodes == 0) return;
            var (d, kind) = Pairs(a, b) is var (both, onlyA, onlyB, neither)
                ? (DifferenceInterval.OfPaired(both, onlyA, onlyB, neither),
                   $"paired over {both + onlyA + onlyB + neither} tasks: {onlyA} solved only by {a.Label}, {onlyB} only by {b.Label}")
                : (DifferenceInterval.Of(a.Successes, a.Episodes, b.Successes, b.Episodes), "independent");
            var verdict = d.IsImprovement ? "better, beyond the interval"
                : d.High < 0 ? "worse, beyond the interval"
                : "not distinguishable at 95% (the interval includes 0)";
            lines.Add($"{what}: {d.Difference * 100:+0.0;-0.0;0.0} points, 95% interval [{d.Low * 100:+0.0;-0.0;0.0}, {d.High * 100:+0.0;-0.0;0.0}] ({kind}): {verdict}");
        }
        Compare($"{AfterRl} vs {AfterSft}", Row(AfterRl), Row(AfterSft));
        Compare($"{AfterSft} vs {Untrained}", Row(AfterSft), Row(Untrained));
        Compare($"interpreter vs text-only (ReTool, same SFT budget)", Row(AfterSft), Row(TextOnlySft));
        return lines;
    }

    /// <summary>Per-task outcome counts (both solved, only a, only b, neither) when both results files list the same
    /// tasks once each (a task with an infrastructure failure in either is left out); null otherwise.</summary>
    public static (int Both, int OnlyA, int OnlyB, int Neither)? Pairs(EvalResult a, EvalResult b)
    {
        static Dictionary<string, EpisodeResult>? ByTask(EvalResult r)
        {
            if (string.IsNullOrEmpty(r.ResultsPath) || !File.Exists(r.ResultsPath)) return null;
            var map = new Dictionary<string, EpisodeResult>(StringComparer.Ordinal);
            foreach (var e in EpisodeResult.ReadAll(r.ResultsPath))
                if (e.TaskId.Length == 0 || !map.TryAdd(e.TaskId, e)) return null;
            return map;
        }
        if (ByTask(a) is not { } x || ByTask(b) is not { } y || x.Count != y.Count || !x.Keys.All(y.ContainsKey)) return null;
        int both = 0, onlyA = 0, onlyB = 0, neither = 0;
        foreach (var (task, ea) in x)
        {
            var eb = y[task];
            if (ea.IsInfrastructureFailure || eb.IsInfrastructureFailure) continue;
            switch ((ea.Success, eb.Success))
            {
                case (true, true): both++; break;
                case (true, false): onlyA++; break;
                case (false, true): onlyB++; break;
                default: neither++; break;
            }
        }
        return both + onlyA + onlyB + neither == 0 ? null : (both, onlyA, onlyB, neither);
    }
}
