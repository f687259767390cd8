using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Environments.Cat;

/// <summary>
/// Self-Challenging `cat`: episodes draw from the tasks that survived <see cref="CatTaskValidator"/>; the
/// reward is the task's own verification function run on the agent's answer in the episode's sandbox
/// (in a fresh namespace; the agent's globals are not visible to it).
/// </summary>
public sealed class CatEnvironment : IEnvironment
{
    private readonly IReadOnlyList<CatTask> _tasks;
    private readonly Dictionary<string, string> _answers;

    /// <param name="kept">Checks with <see cref="CatCheck.Kept"/> true; their solution answers become the expected answers.</param>
    public CatEnvironment(IReadOnlyList<CatCheck> kept)
    {
        if (kept.Count == 0) throw new ArgumentException("cat: no task survived the check (solution passes, every failure case fails)");
        if (kept.FirstOrDefault(c => !c.Kept) is { } dropped) throw new ArgumentException($"cat: task {dropped.Task.Id} was not kept: {dropped.Reason}");
        _tasks = kept.Select(c => c.Task).ToList();
        _answers = kept.ToDictionary(c => c.Task.Id, c => c.SolutionAnswer ?? "");
    }

    public IReadOnlyList<CatTask> Tasks => _tasks;

    public string Name => "cat";

    /// <summary>Proposes tasks, checks each in <paramref name="sandbox"/>, and keeps the ones that pass.</summary>
    public static async Task<(CatEnvironment Environment, IReadOnlyList<CatCheck> Checks)> BuildAsync(
        IChallenger challenger, Random random, int count, ISandbox sandbox, CancellationToken cancellationToken = default)
    {
        var proposed = await challenger.ProposeAsync(random, count, cancellationToken);
        var checks = new List<CatCheck>(proposed.Count);
        foreach (var task in proposed) checks.Add(await CatTaskValidator.CheckAsync(task, sandbox, cancellationToken));
        return (new CatEnvironment(checks.Where(c => c.Kept).ToList()), checks);
    }

    public EnvTask Generate(Random random, string id)
    {
        var t = _tasks[random.Next(_tasks.Count)];
        return new EnvTask(id, Name, t.Instruction, _answers[t.Id], [t.Solution],
            Data: new Dictionary<string, string> { ["cat_task"] = t.Id });
    }

    public async Task<Verdict> VerifyAsync(EnvTask task, string answer, ISandbox sandbox, CancellationToken cancellationToken = default)
    {
        var cat = _tasks.Single(t => t.Id == task.Data!["cat_task"]);
        var (results, error) = await CatTaskValidator.RunVerifierAsync(cat, [answer.Trim()], sandbox, cancellationToken);
        var correct = error is null && results[0] == true;
        return new Verdict(correct ? 1 : 0,
            new Dictionary<string, double> { ["correct"] = correct ? 1 : 0, ["format"] = answer.Trim().Length > 0 ? 1 : 0 },
            error is not null ? $"verifier failed: {error}" : correct ? "verify(answer) is True" : "verify(answer) is False");
    }
}
