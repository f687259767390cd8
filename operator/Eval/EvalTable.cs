namespace AgentOps.Operator.Eval;

/// <summary>The held-out table printed at the end of `agentops run` and by `agentops eval`.</summary>
public static class EvalTable
{
    public static void Print(IReadOnlyList<EvalResult> rows, TextWriter o)
    {
        if (rows.Count == 0) return;
        o.WriteLine();
        o.WriteLine($"{"model",-14} {"success",8}  {"95% Wilson interval",-20} {"episodes",9}");
        foreach (var r in rows)
            o.WriteLine($"{r.Label,-14} {r.SuccessRate * 100,7:0.0}%  [{r.Interval.Low * 100,5:0.0}%, {r.Interval.High * 100,5:0.0}%]     {r.Successes,4}/{r.Episodes,-4}");
    }
}
