using System.Globalization;
using System.Numerics;
using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Environments.Arithmetic;

/// <summary>
/// ReTool-style arithmetic: an integer expression with N operations (N in the split's range of
/// <see cref="ArithmeticSettings"/>) that is hard in the head and one line with the interpreter. Reward 1 for the
/// exact integer answer. Held-out expressions are the ones <see cref="HeldOutPartition"/> puts on its side: no
/// demonstration or RL prompt is ever one of them.
/// </summary>
public sealed class ArithmeticEnvironment(ArithmeticSettings settings) : IEnvironment
{
    public ArithmeticEnvironment(EnvironmentOptions options) : this(EnvironmentSettings.Parse(options, ArithmeticSettings.Read)) { }

    public string Name => "arithmetic";

    public EnvTask Generate(Random random, string id) => Generate(random, id, "train");

    public EnvTask Generate(Random random, string id, string split)
    {
        var (min, max) = settings.For(split);
        var (ops, node, expr) = HeldOutPartition.Draw(random, split, r =>
        {
            var n = r.Next(min, max + 1);
            var built = Build(r, n);
            return (n, built, built.Render());
        }, e => e.Item3, $"arithmetic {split} expression of {min}-{max} operations with operands up to {settings.MaxOperand}");
        var value = node.Evaluate().ToString(CultureInfo.InvariantCulture);
        return new EnvTask(id, Name, expr, value, [$"print({expr})"],
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
        if (ops == 0) return new Node.Leaf(random.Next(2, settings.MaxOperand + 1));
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
