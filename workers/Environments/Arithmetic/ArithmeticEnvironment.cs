using System.Globalization;
using System.Numerics;
using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Environments.Arithmetic;

/// <summary>
/// ReTool-style arithmetic: an integer expression with N operations (N in [minOps, maxOps]) that is hard in
/// the head and one line with the interpreter. Reward 1 for the exact integer answer.
/// Settings: minOps (default 2), maxOps (default 4), maxOperand (default 999); per split (DESIGN.md "Learning":
/// demonstrations of 2-3 operations, held-out tasks of 4): sftMinOps/sftMaxOps for "sft" demonstrations,
/// evalMinOps/evalMaxOps for "eval" tasks, each defaulting to minOps/maxOps; "train" uses minOps/maxOps.
/// </summary>
public sealed class ArithmeticEnvironment : IEnvironment
{
    private readonly (int Min, int Max) _train;
    private readonly (int Min, int Max) _sft;
    private readonly (int Min, int Max) _eval;
    private readonly int _maxOperand;

    public ArithmeticEnvironment(EnvironmentOptions options)
    {
        _train = Range(options, "minOps", "maxOps", 2, 4);
        _sft = Range(options, "sftMinOps", "sftMaxOps", _train.Min, _train.Max);
        _eval = Range(options, "evalMinOps", "evalMaxOps", _train.Min, _train.Max);
        _maxOperand = options.GetInt("maxOperand", 999);
        if (_maxOperand < 10) throw new ArgumentException($"spec.environment.settings.maxOperand: must be at least 10, got {_maxOperand}");
    }

    private static (int Min, int Max) Range(EnvironmentOptions options, string minKey, string maxKey, int minDefault, int maxDefault)
    {
        var min = options.GetInt(minKey, minDefault);
        var max = options.GetInt(maxKey, maxDefault);
        if (min < 1) throw new ArgumentException($"spec.environment.settings.{minKey}: must be at least 1, got {min}");
        if (max < min) throw new ArgumentException($"spec.environment.settings.{maxKey}: must be at least {minKey} ({min}), got {max}");
        return (min, max);
    }

    public string Name => "arithmetic";

    public EnvTask Generate(Random random, string id) => Generate(random, id, "train");

    public EnvTask Generate(Random random, string id, string split)
    {
        var (min, max) = split switch
        {
            "sft" => _sft,
            "eval" => _eval,
            "train" => _train,
            _ => throw new ArgumentException($"split: must be sft, train or eval, got '{split}'"),
        };
        var ops = random.Next(min, max + 1);
        var expr = Build(random, ops);
        var text = expr.Render();
        var value = expr.Evaluate().ToString(CultureInfo.InvariantCulture);
        return new EnvTask(id, Name, text, value, [$"print({text})"],
            Data: new Dictionary<string, string> { ["ops"] = ops.ToString(CultureInfo.InvariantCulture) });
    }

    public Task<Verdict> VerifyAsync(EnvTask task, string answer, ISandbox sandbox, CancellationToken cancellationToken = default)
    {
        var parsed = BigInteger.TryParse(answer.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var got);
        var correct = parsed && got == BigInteger.Parse(task.ExpectedAnswer, CultureInfo.InvariantCulture);
        var message = correct ? "exact answer" : parsed ? $"expected {task.ExpectedAnswer}, got {got}" : $"answer is not an integer: '{Clip(answer)}'";
        return Task.FromResult(new Verdict(correct ? 1 : 0,
            new Dictionary<string, double> { ["correct"] = correct ? 1 : 0, ["format"] = parsed ? 1 : 0 }, message));
    }

    internal Node Build(Random random, int ops)
    {
        if (ops == 0) return new Node.Leaf(random.Next(2, _maxOperand + 1));
        var left = random.Next(0, ops);
        var op = "+-*"[random.Next(3)];
        return new Node.Binary(op, Build(random, left), Build(random, ops - 1 - left));
    }

    internal static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>An expression tree printed with only the parentheses Python's precedence needs.</summary>
    internal abstract record Node
    {
        public abstract BigInteger Evaluate();
        public abstract string Render();
        public virtual int Precedence => 3;

        public sealed record Leaf(int Value) : Node
        {
            public override BigInteger Evaluate() => Value;
            public override string Render() => Value.ToString(CultureInfo.InvariantCulture);
        }

        public sealed record Binary(char Op, Node Left, Node Right) : Node
        {
            public override int Precedence => Op == '*' ? 2 : 1;

            public override BigInteger Evaluate() => Op switch
            {
                '+' => Left.Evaluate() + Right.Evaluate(),
                '-' => Left.Evaluate() - Right.Evaluate(),
                _ => Left.Evaluate() * Right.Evaluate(),
            };

            public override string Render()
            {
                var l = Left.Render();
                var r = Right.Render();
                if (Left.Precedence < Precedence) l = $"({l})";
                if (Right.Precedence < Precedence || (Right.Precedence == Precedence && Op == '-')) r = $"({r})";
                return $"{l}{Op}{r}";
            }
        }
    }
}
