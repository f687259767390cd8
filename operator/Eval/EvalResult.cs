namespace AgentOps.Operator.Eval;

/// <summary>One row of the held-out table: a model, how many episodes, how many succeeded, the interval.
/// Infrastructure failures (a sandbox that crashed) are not the model's: counted apart, not in Episodes.</summary>
public sealed record EvalResult(string Label, string Checkpoint, int Episodes, int Successes, WilsonInterval Interval, string ResultsPath, double WallSeconds, int InfraFailures = 0)
{
    public double SuccessRate => Episodes == 0 ? 0 : (double)Successes / Episodes;

    public string Format() => $"{SuccessRate:P1}  [{Interval.Low:P1}, {Interval.High:P1}]  ({Successes}/{Episodes})" +
        (InfraFailures > 0 ? $"  + {InfraFailures} infrastructure failures not counted" : "");
}
