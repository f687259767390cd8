using AgentOps.Workers.Environments.Arithmetic;
using AgentOps.Workers.Environments.Cat;
using AgentOps.Workers.Environments.Countdown;
using AgentOps.Workers.Environments.MultihopQa;
using AgentOps.Workers.Environments.Tools;
using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Environments;

/// <summary>Builds the environment a manifest names. `cat` needs a sandbox to check its proposed tasks in.</summary>
public static class EnvironmentFactory
{
    public static readonly string[] Names = ["arithmetic", "countdown", "tools", "multihop-qa", "cat"];

    public static async Task<IEnvironment> CreateAsync(EnvironmentOptions options, Func<CancellationToken, Task<ISandbox>>? sandboxForCat = null,
        CancellationToken cancellationToken = default)
    {
        switch (options.Name)
        {
            case "arithmetic": return new ArithmeticEnvironment(options);
            case "countdown": return new CountdownEnvironment(options);
            case "tools": return new ToolsEnvironment(ToolsFolder.Worlds(options.Seed).Business);
            case "multihop-qa": return new MultihopQaEnvironment(ToolsFolder.Worlds(options.Seed).Corpus);
            case "cat":
            {
                if (sandboxForCat is null) throw new ArgumentException("cat: a sandbox is needed to check proposed tasks");
                var dir = options.GetString("tasksDir", "");
                IChallenger challenger = dir.Length > 0 ? new CatTaskFolder(dir) : new TemplateChallenger(double.Parse(options.GetString("weakRate", "0"), System.Globalization.CultureInfo.InvariantCulture));
                var sandbox = await sandboxForCat(cancellationToken);
                await using (sandbox)
                {
                    var (env, _) = await CatEnvironment.BuildAsync(challenger, TaskSeeds.For(options.Seed, -3), options.GetInt("tasks", 40), sandbox, cancellationToken);
                    return env;
                }
            }
            default:
                throw new ArgumentException($"spec.environment.name: must be one of {string.Join(", ", Names)}, got '{options.Name}'");
        }
    }
}
