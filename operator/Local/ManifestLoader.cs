using AgentOps.Protos.Api;
using AgentOps.Workers.Environments;
using AgentOps.Workers.Executor;

namespace AgentOps.Operator.Local;

/// <summary>A manifest that did not validate: every error names the field path and the value seen.</summary>
public sealed class ManifestInvalidException(string path, IReadOnlyList<string> errors)
    : Exception($"{path}: {errors.Count} error(s): {string.Join("; ", errors)}")
{
    public string ManifestPath { get; } = path;
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Reads a TrainingRun file with the one shared parser and validator (AgentOps.Protos.Api, the same the
/// operator, the trainer and the executors use) and maps it onto <see cref="RunManifest"/>: the only place
/// in operator/Local that touches the API types.
/// </summary>
public static class ManifestLoader
{
    public static RunManifest Load(string path)
    {
        if (!File.Exists(path))
            throw new ManifestInvalidException(path, [$"FILE: no such file, got {path}"]);
        return FromText(path, File.ReadAllText(path));
    }

    /// <summary>
    /// The ReTool comparison's twin of <paramref name="manifest"/>: the same run with text-only answers
    /// (spec.environment.interpreter: false) and the same SFT budget, no RL steps and no export; named NAME-text-only.
    /// <paramref name="sftSteps"/>: the steps the run's SFT actually took when a target loss ended it sooner; the twin
    /// runs exactly that many (no target loss of its own), so both rows had the same number of updates.
    /// </summary>
    public static RunManifest TextOnlyTwin(RunManifest manifest, long? sftSteps = null)
    {
        var run = Manifests.ParseTrainingRun(manifest.Text).GetValueOrThrow(manifest.Path);
        var spec = run.Spec;
        var twin = run with
        {
            Metadata = run.Metadata with { Name = run.Metadata.Name + "-text-only" },
            Spec = spec with
            {
                Environment = spec.Environment with { Interpreter = false },
                Policy = spec.Policy with { Sft = spec.Policy.Sft with { Steps = (int)(sftSteps ?? spec.Policy.Sft.Steps), TargetLoss = 0 } },
                Algorithm = spec.Algorithm with { Steps = 0, WarmupSteps = 0 },
                Export = spec.Export with { SftJsonl = false },
            },
            Status = null,
        };
        return FromText(manifest.Path, Manifests.ToYaml(twin));
    }

    /// <summary>
    /// The environment's own rules, which only workers/Environments knows, checked before anything starts: every
    /// setting read and valid, and <paramref name="evalTasks"/> (default spec.environment.eval.tasks) distinct
    /// held-out tasks that no training task can be.
    /// </summary>
    public static async Task CheckEnvironmentAsync(RunManifest manifest, int evalTasks = 0, CancellationToken cancellationToken = default)
    {
        var run = Manifests.ParseTrainingRun(manifest.Text).GetValueOrThrow(manifest.Path);
        try
        {
            await EnvironmentFactory.CheckAsync(ManifestMapping.Environment(run), evalTasks > 0 ? evalTasks : run.Spec.Environment.Eval.Tasks, cancellationToken);
        }
        catch (Exception e) when (e is ArgumentException or IOException)
        {
            throw new ManifestInvalidException(manifest.Path, [e.Message]);
        }
    }

    private static RunManifest FromText(string path, string text)
    {
        var result = Manifests.ParseTrainingRun(text);
        if (!result.IsValid)
            throw new ManifestInvalidException(path, result.Errors.Select(e => e.ToString()).ToArray());
        var run = result.Value!;
        var spec = run.Spec;
        // Locally every replica is one executor process: zero would train on nothing.
        if (spec.Sandbox.Replicas < 1)
            throw new ManifestInvalidException(path, [$"spec.sandbox.replicas: must be at least 1 for agentops run, got {spec.Sandbox.Replicas}"]);
        return new RunManifest(
            Path: System.IO.Path.GetFullPath(path),
            Name: run.Metadata.Name,
            Environment: spec.Environment.Name,
            Interpreter: spec.Environment.Interpreter,
            EvalTasks: spec.Environment.Eval.Tasks,
            EvalSeed: spec.Environment.Eval.Seed,
            Runtime: spec.Sandbox.Runtime,
            Replicas: spec.Sandbox.Replicas,
            SftEnabled: spec.Policy.Sft.Enabled,
            SftSteps: spec.Policy.Sft.Steps,
            Algorithm: spec.Algorithm.Name,
            RlSteps: spec.Algorithm.Steps,
            RedisUrl: spec.Queue.RedisUrl,
            ExportSftJsonl: spec.Export.SftJsonl,
            Preset: spec.Policy.Preset,
            QueueMaxBacklog: spec.Queue.MaxBacklog,
            QueueMaxLength: spec.Queue.MaxLength,
            Text: text,
            SftTargetLoss: spec.Policy.Sft.TargetLoss);
    }
}
