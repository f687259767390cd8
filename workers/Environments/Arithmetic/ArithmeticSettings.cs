namespace AgentOps.Workers.Environments.Arithmetic;

/// <summary>
/// arithmetic's settings. <see cref="Train"/>: operations per RL prompt (minOps, maxOps; default 2-4). Per split
/// (DESIGN.md "Learning": demonstrations of 2-3 operations, held-out tasks of 4): <see cref="Sft"/> for "sft"
/// demonstrations (sftMinOps, sftMaxOps) and <see cref="Eval"/> for held-out tasks (evalMinOps, evalMaxOps), each
/// defaulting to minOps/maxOps. <see cref="MaxOperand"/>: operands are 2..maxOperand (default 999).
/// </summary>
public sealed record ArithmeticSettings((int Min, int Max) Train, (int Min, int Max) Sft, (int Min, int Max) Eval, int MaxOperand = 999)
{
    public static ArithmeticSettings Read(EnvironmentSettings s)
    {
        var train = Range(s, "minOps", "maxOps", 2, 4);
        var sft = Range(s, "sftMinOps", "sftMaxOps", train.Min, train.Max);
        var eval = Range(s, "evalMinOps", "evalMaxOps", train.Min, train.Max);
        return new ArithmeticSettings(train, sft, eval, s.Int("maxOperand", 999, min: 10));
    }

    public (int Min, int Max) For(string split) => split switch
    {
        "sft" => Sft,
        "eval" => Eval,
        "train" => Train,
        _ => throw new ArgumentException($"split: must be sft, train or eval, got '{split}'"),
    };

    private static (int Min, int Max) Range(EnvironmentSettings s, string minKey, string maxKey, int minDefault, int maxDefault)
    {
        var min = s.Int(minKey, minDefault, min: 1);
        var max = s.Int(maxKey, maxDefault);
        if (max < min) throw new ArgumentException($"{EnvironmentSettings.PathOf(maxKey)}: must be at least {minKey} ({min}), got {max}");
        return (min, max);
    }
}
