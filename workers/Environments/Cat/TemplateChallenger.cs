using System.Globalization;

namespace AgentOps.Workers.Environments.Cat;

/// <summary>
/// A challenger from templates: each task's verifier recomputes the answer from scratch, its solution is
/// the code a good agent would write, and its failure cases are near misses. <paramref name="weakRate"/>
/// makes that fraction of tasks deliberately broken (a verifier that accepts anything, or a wrong
/// solution), which the in-sandbox check must drop, as the Self-Challenging filter does.
/// </summary>
public sealed class TemplateChallenger(double weakRate = 0) : IChallenger
{
    private static readonly string[] Words = ["kettle", "lantern", "harbor", "meadow", "quartz", "saddle", "velvet", "walnut"];

    public Task<IReadOnlyList<CatTask>> ProposeAsync(Random random, int count, CancellationToken cancellationToken = default)
    {
        var tasks = new List<CatTask>(count);
        for (var i = 0; i < count; i++)
        {
            var task = Propose(random, $"cat-{i}");
            if (random.NextDouble() < weakRate)
                task = random.Next(2) == 0
                    ? task with { Verify = "def verify(a):\n return True" }
                    : task with { Solution = "print('no idea')" };
            tasks.Add(task);
        }
        return Task.FromResult<IReadOnlyList<CatTask>>(tasks);
    }

    private static CatTask Propose(Random random, string id)
    {
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        switch (random.Next(5))
        {
            case 0:
            {
                var n = random.Next(50, 300);
                const string F = "sum(map(int,str(2**{0})))";
                var expr = string.Format(CultureInfo.InvariantCulture, F, n);
                return new CatTask(id, $"digit sum of 2**{n}", $"def verify(a):\n return a.strip()==str({expr})",
                    $"print({expr})", [I(n), "0", $"{n}{n}"]);
            }
            case 1:
            {
                var n = random.Next(100, 3000);
                var expr = $"sum(all(k%d for d in range(2,int(k**.5)+1)) for k in range(2,{n}))";
                return new CatTask(id, $"number of primes below {n}", $"def verify(a):\n return a.strip()==str({expr})",
                    $"print({expr})", [I(n / 2), I(n), "1"]);
            }
            case 2:
            {
                var k = random.Next(20, 90);
                var m = random.Next(7, 1000);
                const string Code = "a,b=0,1\nfor _ in range({0}):a,b=b,a+b\nprint(a%{1})";
                var verify = string.Format(CultureInfo.InvariantCulture,
                    "def verify(a):\n x,y=0,1\n for _ in range({0}):x,y=y,x+y\n return a.strip()==str(x%{1})", k, m);
                return new CatTask(id, $"fib({k}) mod {m}", verify, string.Format(CultureInfo.InvariantCulture, Code, k, m),
                    [I(m), I(k), "-1"]);
            }
            case 3:
            {
                var w = Words[random.Next(Words.Length)];
                var r = random.Next(3, 40);
                var c = w[random.Next(w.Length)];
                var expr = $"('{w}'*{r}).count('{c}')";
                var count = w.Count(ch => ch == c) * r;
                return new CatTask(id, $"count '{c}' in '{w}'*{r}", $"def verify(a):\n return a.strip()==str({expr})",
                    $"print({expr})", [I(count + 1), I(count - 1), I(w.Length * r)]);
            }
            default:
            {
                var w = Words[random.Next(Words.Length)] + Words[random.Next(Words.Length)];
                return new CatTask(id, $"'{w}' reversed", $"def verify(a):\n return a.strip()=='{w}'[::-1]",
                    $"print('{w}'[::-1])", [w, w.ToUpperInvariant(), ""]);
            }
        }
    }
}
