namespace AgentOps.Workers.Environments.Cat;

/// <summary>
/// cat's settings. <see cref="Challenger"/> (challenger): who proposes tasks, "generator" (<see cref="TemplateChallenger"/>,
/// the default) or "folder" (<see cref="CatTaskFolder"/>: every JSON file of tasksDir; the default when tasksDir is
/// given). <see cref="Tasks"/> (tasks, default 40): training tasks to propose and check. <see cref="WeakRate"/>
/// (weakRate, generator only, default 0): the fraction of deliberately broken proposals the filter must drop.
/// </summary>
public sealed record CatSettings(string Challenger = "generator", string TasksDir = "", int Tasks = 40, double WeakRate = 0)
{
    public static CatSettings Read(EnvironmentSettings s)
    {
        var dir = s.Text("tasksDir", "");
        var challenger = s.Choice("challenger", dir.Length > 0 ? "folder" : "generator", "generator", "folder");
        var tasks = s.Int("tasks", 40, min: 1, max: 100_000);
        var weak = s.Number("weakRate", -1, 0, 1);
        if (challenger == "folder" && dir.Length == 0)
            throw new ArgumentException($"{EnvironmentSettings.PathOf("tasksDir")}: required with challenger folder, got none");
        if (challenger == "generator" && dir.Length > 0)
            throw new ArgumentException($"{EnvironmentSettings.PathOf("tasksDir")}: only read with challenger folder (challenger is generator), got '{dir}'");
        if (challenger == "folder" && weak >= 0)
            throw new ArgumentException($"{EnvironmentSettings.PathOf("weakRate")}: only read with challenger generator (challenger is folder), got {weak}");
        return new CatSettings(challenger, dir, tasks, Math.Max(0, weak));
    }

    public IChallenger CreateChallenger() => Challenger == "folder" ? new CatTaskFolder(TasksDir) : new TemplateChallenger(WeakRate);
}
