using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Environments.Cat;

/// <summary>
/// Self-Challenging `cat`: episodes draw from the tasks that survived <see cref="CatTaskValidator"/>; the reward is
/// the task's own verification function run on the agent's answer in the episode's sandbox (in a fresh namespace;
/// the agent's globals are not visible to it). Training ("sft", "train") and held-out ("eval") tasks come from
/// separate pools: proposals from each split's own seed stream, kept on their side of <see cref="HeldOutPartition"/>
/// by instruction, so no held-out instruction is ever trained on.
/// </summary>
public sealed class CatEnvironment : IEnvironment
{
    private readonly IReadOnlyList<CatTask> _train;
    private readonly IReadOnlyList<CatTask> _eval;
    private readonly Dictionary<string, (CatTask Task, string Answer)> _byId;

    /// <param name="train">Kept training tasks (<see cref="CatCheck.Kept"/>); their solution answers become the expected answers.</param>
    /// <param name="eval">Kept held-out tasks, in order; empty in an executor that only trains.</param>
    public CatEnvironment(IReadOnlyList<CatCheck> train, IReadOnlyList<CatCheck>? eval = null)
    {
        eval ??= [];
        if (train.Concat(eval).FirstOrDefault(c => !c.Kept) is { } dropped) throw new ArgumentException($"cat: task {dropped.Task.Id} was not kept: {dropped.Reason}");
        if (train.Count == 0 && eval.Count == 0) throw new ArgumentException("cat: no task survived the check (solution passes, every failure case fails)");
        _train = train.Select(c => c.Task).ToList();
        _eval = eval.Select(c => c.Task).ToList();
        _byId = train.Concat(eval).ToDictionary(c => c.Task.Id, c => (c.Task, c.SolutionAnswer ?? ""));
    }

    public IReadOnlyList<CatTask> Tasks => _train;

    public IReadOnlyList<CatTask> HeldOutTasks => _eval;

    public string Name => "cat";

    /// <summary>
    /// Proposes tasks with <paramref name="challenger"/> from <paramref name="split"/>'s seed stream until
    /// <paramref name="count"/> distinct ones on that side of the partition are kept by the check in
    /// <paramref name="sandbox"/>, or a bounded number of rounds found fewer (then as many as there were).
    /// </summary>
    public static async Task<(IReadOnlyList<CatCheck> Kept, IReadOnlyList<CatCheck> Checks)> ProposeAsync(
        IChallenger challenger, long seed, string split, int count, ISandbox sandbox, CancellationToken cancellationToken = default)
    {
        var checks = new List<CatCheck>();
        var kept = new List<CatCheck>();
        await foreach (var task in Candidates(challenger, seed, split, count, cancellationToken))
        {
            var check = await CatTaskValidator.CheckAsync(task, sandbox, cancellationToken);
            checks.Add(check);
            if (check.Kept) kept.Add(check);
            if (kept.Count == count) break;
        }
        return (kept, checks);
    }

    /// <summary>Distinct proposals on <paramref name="split"/>'s side, renamed "cat-{split}-{n}", in a fixed order; no sandbox needed.</summary>
    public static async IAsyncEnumerable<CatTask> Candidates(IChallenger challenger, long seed, string split, int count,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var batch = Math.Max(16, count);
        for (var round = 0; round < 20; round++)
        {
            var proposed = await challenger.ProposeAsync(TaskSeeds.ForSplit(seed, split, -3 - round), batch, cancellationToken);
            var fresh = 0;
            foreach (var task in proposed)
            {
                if (!HeldOutPartition.Allows(split, task.Instruction) || !seen.Add(task.Instruction)) continue;
                fresh++;
                yield return task with { Id = $"cat-{split}-{seen.Count - 1}" };
            }
            if (fresh == 0 && round > 0) yield break; // a finite challenger (a folder) has nothing more
        }
    }

    public EnvTask Generate(Random random, string id) => Generate(random, id, "train");

    public EnvTask Generate(Random random, string id, string split)
    {
        var pool = HeldOutPartition.IsEval(split) ? _eval : _train;
        if (pool.Count == 0) throw new ArgumentException($"cat: no {split} task was proposed and kept in this executor");
        return Task(pool[random.Next(pool.Count)], id);
    }

    /// <summary>The first <paramref name="count"/> held-out tasks, in the order they were proposed.</summary>
    public IReadOnlyList<EnvTask> HeldOut(EnvironmentOptions options, int count) =>
        _eval.Count >= count
            ? _eval.Take(count).Select((t, i) => Task(t, $"cat-eval{options.EvalSeed}-{i}")).ToList()
            : throw HeldOutSet.TooFew(Name, count, _eval.Count, "proposed and kept by the check", options.Settings);

    private EnvTask Task(CatTask t, string id) =>
        new(id, Name, t.Instruction, _byId[t.Id].Answer, [t.Solution], Data: new Dictionary<string, string> { ["cat_task"] = t.Id });

    public async Task<Verdict> VerifyAsync(EnvTask task, string answer, ISandbox sandbox, CancellationToken cancellationToken = default)
    {
        var cat = _byId[task.Data!["cat_task"]].Task;
        var (results, error) = await CatTaskValidator.RunVerifierAsync(cat, [answer.Trim()], sandbox, cancellationToken);
        var correct = error is null && results[0] == true;
        return new Verdict(correct ? 1 : 0,
            new Dictionary<string, double> { ["correct"] = correct ? 1 : 0, ["format"] = answer.Trim().Length > 0 ? 1 : 0 },
            error is not null ? $"verifier failed: {error}" : correct ? "verify(answer) is True" : "verify(answer) is False");
    }
}
