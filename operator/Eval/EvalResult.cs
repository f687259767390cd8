namespace AgentOps.Operator.Eval;

/// <summary>One row of the held-out table: a model, how many episodes, how many succeeded, the interval.</summary>
public sealed record EvalResult(string Label, string Checkpoint, int Episodes, int Successes, WilsonInterval Interval, string ResultsPath, double WallSeconds)
{
    public double SuccessRate => Episodes == 0 ? 0 : (double)Successes / Episodes;

    public string Format() => $"{SuccessRate:P1}  [{Interval.Low:P1}, {Interval.High:P1}]  ({Successes}/{Episodes})";
}
