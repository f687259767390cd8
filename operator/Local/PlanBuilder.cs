using AgentOps.Trainer.Training;

namespace AgentOps.Operator.Local;

/// <summary>Computes the <see cref="LocalRunPlan"/> from the validated manifest and the command line.</summary>
public static class PlanBuilder
{
    public static LocalRunPlan Build(RunManifest manifest, RunOptions options, Func<string, string?>? which = null)
    {
        var runDir = Path.GetFullPath(options.RunDir.Length > 0 ? options.RunDir : Path.Combine("runs", manifest.Name));
        var latest = Path.Combine(runDir, "checkpoints", "latest");
        var resuming = Directory.Exists(latest);
        if (options.Resume && !resuming)
            throw new ManifestInvalidException(manifest.Path, [$"--resume: no checkpoint to resume from, got {latest} (missing)"]);

        var redis = options.Redis.Length > 0 ? options.Redis : manifest.RedisUrl;
        var queue = redis switch
        {
            "" => new QueueChoice("in-process", "", false, 0),
            "auto" => AutoRedis(),
            _ => new QueueChoice("redis", redis, false, 0),
        };

        var executors = options.Executors > 0 ? options.Executors : manifest.Replicas;
        var phases = new List<string>();
        if (manifest.SftEnabled)
            phases.Add(manifest.SftTargetLoss > 0
                ? $"sft: on scripted demonstrations until the mean loss of {SftLossTarget.Window} steps is at most {manifest.SftTargetLoss.ToString(System.Globalization.CultureInfo.InvariantCulture)}, at most {manifest.SftSteps} steps"
                : $"sft: {manifest.SftSteps} steps on scripted demonstrations");
        if (manifest.Algorithm != "sft") phases.Add($"rl: {manifest.RlSteps} {manifest.Algorithm} steps on sampled episodes");
        if (options.Evaluate) phases.Add("eval: untrained, after SFT, after RL on held-out tasks (greedy)");
        if (options.Compare) phases.Add($"compare: a text-only twin (interpreter: false) with as many SFT steps, evaluated after SFT (ReTool comparison)");
        phases.Add("report: report.html");

        return new LocalRunPlan(
            manifest, runDir, resuming, resuming ? latest : null,
            RuntimeDetector.Choose(manifest.Runtime, which), queue,
            FreePorts.Next(), FreePorts.Next(),
            queue.Kind == "in-process" ? 0 : FreePorts.Next(), queue.Kind == "in-process" ? 0 : FreePorts.Next(),
            Enumerable.Range(0, executors).Select(_ => FreePorts.Next()).ToArray(),
            phases);
    }

    private static QueueChoice AutoRedis()
    {
        var port = FreePorts.Next();
        return new QueueChoice("redis (local redis-server)", $"redis://127.0.0.1:{port}", true, port);
    }
}
