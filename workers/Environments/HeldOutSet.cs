namespace AgentOps.Workers.Environments;

/// <summary>
/// The held-out tasks of a run: the first <c>count</c> distinct tasks of the "eval" stream of the eval seed, the
/// same list in every process (task i is always the same task, so every row of a report is paired task by task).
/// None of them can be a training task (<see cref="HeldOutPartition"/>). An environment whose settings leave
/// fewer distinct held-out tasks than asked for is refused here, at start, with the setting and its value named,
/// rather than evaluated on repeats.
/// </summary>
public static class HeldOutSet
{
    public static IReadOnlyList<EnvTask> Draw(IEnvironment environment, long evalSeed, int count, IReadOnlyDictionary<string, string>? settings)
    {
        if (count < 0) throw new ArgumentException($"spec.environment.eval.tasks: must be at least 0, got {count}");
        var budget = Math.Max(2_000, count * 20L);
        var tasks = new List<EnvTask>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; tasks.Count < count; i++)
        {
            if (i >= budget) throw TooFew(environment.Name, count, tasks.Count, $"{budget} draws", settings);
            EnvTask task;
            try
            {
                task = environment.Generate(TaskSeeds.ForSplit(evalSeed, "eval", i), $"{environment.Name}-eval{evalSeed}-{tasks.Count}", "eval");
            }
            catch (ArgumentException e)
            {
                throw TooFew(environment.Name, count, tasks.Count, e.Message, settings);
            }
            if (seen.Add(task.Key)) tasks.Add(task);
        }
        return tasks;
    }

    public static ArgumentException TooFew(string environment, int wanted, int got, string after, IReadOnlyDictionary<string, string>? settings) =>
        new($"spec.environment.eval.tasks: {wanted} distinct held-out tasks wanted, but {environment} with settings " +
            $"({EnvironmentSettings.Describe(settings)}) gave only {got} ({after}); held-out tasks are the 1 in {HeldOutPartition.Buckets} " +
            "of the task space kept out of training: lower spec.environment.eval.tasks or widen the settings");
}
