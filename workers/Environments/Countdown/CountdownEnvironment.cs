using System.Globalization;
using System.Numerics;
using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Environments.Countdown;

/// <summary>
/// Countdown: reach a target from given numbers with + - * / (each number at most once). The generator builds
/// the target from a random expression over a subset of the numbers, which is also the reference answer.
/// The verifier parses the answer, checks it uses only the given numbers and that it evaluates to the target.
/// Settings: <see cref="CountdownSettings"/>. Prompt: "Q: 3 7 25 50 -> 181". A puzzle (numbers and target) is
/// held out or not by <see cref="HeldOutPartition"/>, whatever expression produced it.
/// </summary>
public sealed class CountdownEnvironment(CountdownSettings settings) : IEnvironment
{
    private static readonly int[] Pool = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 25, 50, 75, 100];

    public CountdownEnvironment(EnvironmentOptions options) : this(EnvironmentSettings.Parse(options, CountdownSettings.Read)) { }

    public string Name => "countdown";

    public EnvTask Generate(Random random, string id) => Generate(random, id, "train");

    public EnvTask Generate(Random random, string id, string split)
    {
        var (shown, target, expr) = HeldOutPartition.Draw(random, split, Puzzle, p => Question(p.Shown, p.Target),
            $"countdown {split} puzzle with {settings.Numbers} numbers and targets up to {settings.MaxTarget}");
        return new EnvTask(id, Name, Question(shown, target), target, [$"print({expr})"], expr,
            new Dictionary<string, string> { ["numbers"] = shown, ["target"] = target });
    }

    private static string Question(string shown, string target) => $"{shown} -> {target}";

    private (string Shown, string Target, string Expr) Puzzle(Random random)
    {
        while (true)
        {
            var numbers = Enumerable.Range(0, settings.Numbers).Select(_ => Pool[random.Next(Pool.Length)]).ToArray();
            var used = numbers.OrderBy(_ => random.Next()).Take(random.Next(2, settings.Numbers + 1)).ToArray();
            var expr = used[0].ToString(CultureInfo.InvariantCulture);
            var value = new BigInteger(used[0]);
            for (var k = 1; k < used.Length; k++)
            {
                var n = used[k];
                var op = "+-*/"[random.Next(4)];
                if (op == '/' && (n == 0 || value % n != 0)) op = '+';
                if (op == '-' && value - n <= 0) op = '+';
                var wrapped = k == 1 || op is '+' or '-' ? expr : $"({expr})";
                expr = $"{wrapped}{op}{n}";
                value = op switch { '+' => value + n, '-' => value - n, '*' => value * n, _ => value / n };
            }
            if (value < 10 || value > settings.MaxTarget) continue;
            return (string.Join(' ', numbers.Order()), value.ToString(CultureInfo.InvariantCulture), expr);
        }
    }

    public Task<Verdict> VerifyAsync(EnvTask task, string answer, ISandbox sandbox, CancellationToken cancellationToken = default)
    {
        var given = task.Data!["numbers"].Split(' ').Select(int.Parse).ToList();
        var target = BigInteger.Parse(task.Data["target"], CultureInfo.InvariantCulture);
        var parsed = CountdownExpression.TryParse(answer.Trim(), out var error);
        if (parsed is null) return Done(0, 0, 0, $"not an expression: {error}");
        var remaining = new List<int>(given);
        foreach (var n in parsed.Numbers)
        {
            if (!remaining.Remove(n))
                return Done(0, 1, 0, $"uses {n} more often than given ({task.Data["numbers"]})");
        }
        var hit = parsed.IsInteger(out var v) && v == target;
        return Done(hit ? 1 : 0, 1, 1, hit ? "reaches the target" : $"evaluates to {parsed.Numerator}/{parsed.Denominator}, target {target}");
    }

    private static Task<Verdict> Done(double correct, double format, double numbers, string message) =>
        Task.FromResult(new Verdict(correct, new Dictionary<string, double>
        {
            ["correct"] = correct, ["format"] = format, ["numbers"] = numbers,
        }, message));
}
