using AgentOps.Workers.Environments.Arithmetic;
using AgentOps.Workers.Environments.Cat;
using AgentOps.Workers.Environments.Countdown;
using AgentOps.Workers.Environments.MultihopQa;
using AgentOps.Workers.Environments.Tools;
using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Environments;

/// <summary>
/// Builds the environment a manifest names, from settings read so that every key given is used or rejected
/// (<see cref="EnvironmentSettings"/>). `cat` needs a sandbox to check its proposed tasks in.
/// </summary>
public static class EnvironmentFactory
{
    public static readonly string[] Names = ["arithmetic", "countdown", "tools", "multihop-qa", "cat"];

    /// <summary>The settings keys an environment reads: everything spec.environment.settings may hold for it.</summary>
    public static IReadOnlyList<string> SettingKeys(string name) => ReadSettings(new EnvironmentOptions(name)).Asked;

    /// <summary>Reads <paramref name="options"/>' settings as its environment does, without rejecting any: the reader says what was read and what was not.</summary>
    public static EnvironmentSettings ReadSettings(EnvironmentOptions options)
    {
        var reader = new EnvironmentSettings(options.Name, options.Settings);
        Read(options.Name, reader);
        return reader;
    }

    /// <summary>
    /// What a process checks before it starts anything: the settings (every key read, each value valid) and that
    /// <paramref name="evalTasks"/> distinct held-out tasks exist. `cat` counts distinct held-out proposals here
    /// (its in-sandbox filter can only drop some, which the eval executor then reports).
    /// </summary>
    public static async Task CheckAsync(EnvironmentOptions options, int evalTasks, CancellationToken cancellationToken = default)
    {
        if (options.Name != "cat")
        {
            Create(options).HeldOut(options, evalTasks);
            return;
        }
        var settings = EnvironmentSettings.Parse(options, CatSettings.Read);
        if (evalTasks <= 0) return;
        var found = 0;
        await foreach (var _ in CatEnvironment.Candidates(settings.CreateChallenger(), options.EvalSeed, "eval", evalTasks, cancellationToken))
            if (++found >= evalTasks) return;
        throw HeldOutSet.TooFew("cat", evalTasks, found, "distinct held-out proposals", options.Settings);
    }

    /// <summary>Every environment but `cat` (which needs a sandbox: <see cref="CreateAsync"/>).</summary>
    public static IEnvironment Create(EnvironmentOptions options) => options.Name switch
    {
        "arithmetic" => new ArithmeticEnvironment(options),
        "countdown" => new CountdownEnvironment(options),
        "tools" => new ToolsEnvironment(options),
        "multihop-qa" => new MultihopQaEnvironment(options),
        "cat" => throw new ArgumentException("cat: a sandbox is needed to check proposed tasks"),
        _ => throw UnknownName(options.Name),
    };

    /// <param name="evalTasks">cat: how many held-out tasks to propose and check (0 in an executor that only trains;
    /// then no training pool is built for an executor that only evaluates).</param>
    public static async Task<IEnvironment> CreateAsync(EnvironmentOptions options, Func<CancellationToken, Task<ISandbox>>? sandboxForCat = null,
        int evalTasks = 0, CancellationToken cancellationToken = default)
    {
        if (options.Name != "cat") return Create(options);
        if (sandboxForCat is null) throw new ArgumentException("cat: a sandbox is needed to check proposed tasks");
        var settings = EnvironmentSettings.Parse(options, CatSettings.Read);
        var challenger = settings.CreateChallenger();
        var sandbox = await sandboxForCat(cancellationToken);
        await using (sandbox)
        {
            IReadOnlyList<CatCheck> train = [], eval = [];
            if (evalTasks > 0) (eval, _) = await CatEnvironment.ProposeAsync(challenger, options.EvalSeed, "eval", evalTasks, sandbox, cancellationToken);
            else
            {
                (train, _) = await CatEnvironment.ProposeAsync(challenger, options.Seed, "train", settings.Tasks, sandbox, cancellationToken);
                if (train.Count == 0) throw new ArgumentException("cat: no proposed training task survived the check (solution passes, every failure case fails)");
            }
            return new CatEnvironment(train, eval);
        }
    }

    private static void Read(string name, EnvironmentSettings reader)
    {
        _ = name switch
        {
            "arithmetic" => (object)ArithmeticSettings.Read(reader),
            "countdown" => CountdownSettings.Read(reader),
            "tools" => ToolsSettings.Read(reader),
            "multihop-qa" => MultihopSettings.Read(reader),
            "cat" => CatSettings.Read(reader),
            _ => throw UnknownName(name),
        };
    }

    private static ArgumentException UnknownName(string name) =>
        new($"spec.environment.name: must be one of {string.Join(", ", Names)}, got '{name}'");
}
