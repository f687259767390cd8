using AgentOps.Protos.Api;
using AgentOps.Workers.Agent;
using AgentOps.Workers.Environments;
using AgentOps.Workers.Export;
using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Executor;

/// <summary>The only place the executor reads `AgentOps.Protos.Api`: manifest → the executor's own option records.</summary>
public static class ManifestMapping
{
    public static EnvironmentOptions Environment(TrainingRun run) => new(
        run.Spec.Environment.Name, run.Spec.Environment.Seed, run.Spec.Environment.Interpreter,
        new Dictionary<string, string>(run.Spec.Environment.Settings), run.Spec.Environment.Eval.Tasks, run.Spec.Environment.Eval.Seed);

    public static AgentOptions Agent(TrainingRun run) => new(
        run.Spec.Agent.MaxTurns, run.Spec.Agent.MaxNewTokens, run.Spec.Agent.MaxContextTokens,
        (float)run.Spec.Agent.Temperature, (float)run.Spec.Agent.TopP,
        Interpreter: run.Spec.Environment.Interpreter,
        // The loop's wall limit sits above the sandbox's own episode limit, which the agent sees as a cell error.
        EpisodeTimeout: TimeSpan.FromSeconds(run.Spec.Sandbox.Limits.EpisodeTimeoutSeconds * 2 + 30));

    public static SandboxOptions Sandbox(TrainingRun run, string? runtimeOverride, bool allowFallback, string toolsDir)
    {
        var l = run.Spec.Sandbox.Limits;
        return new SandboxOptions(
            Runtime: runtimeOverride ?? run.Spec.Sandbox.Runtime,
            AllowFallback: allowFallback,
            Limits: new AgentOps.Workers.Sandbox.SandboxLimits(l.MemoryMiB, l.Cpus, l.Pids, l.CellTimeoutSeconds, l.EpisodeTimeoutSeconds, l.OutputBytes),
            ToolsDir: toolsDir);
    }

    /// <summary>spec.export's filter (LAM SIMULATOR's post-hoc filtering): the policy's own RL episodes (split "train"; not the
    /// scripted demonstrations, never held-out ones), answered, well-formed, with reward at least spec.export.minReward.</summary>
    public static TrajectoryFilter ExportFilter(TrainingRun run) => new(MinReward: run.Spec.Export.MinReward, Splits: ExportedSplits);

    private static readonly IReadOnlySet<string> ExportedSplits = new HashSet<string> { "train" };

    /// <summary>Where this executor writes its SFT JSONL: --sft-export FILE, else DIR/sft-{executor}.jsonl of --export-dir
    /// when spec.export.sftJsonl is true, else nowhere.</summary>
    public static string? ExportPath(TrainingRun run, string? sftExport, string? exportDir, string executor) =>
        sftExport ?? (run.Spec.Export.SftJsonl && exportDir is not null ? Path.Combine(exportDir, $"sft-{executor}.jsonl") : null);
}
