using System.Diagnostics;
using AgentOps.Operator.Local;
using Microsoft.Extensions.Logging;

namespace AgentOps.Operator.Eval;

/// <summary>
/// Held-out evaluation of one checkpoint (or of the untrained, seeded model when none is given): a trainer
/// in `--serve-only` mode and one executor in `--split eval --episodes N --results FILE` mode, greedy, on the
/// manifest's eval seed (never the training tasks). <see cref="Reference"/> instead evaluates the executor's
/// scripted reference policy, no trainer: the ceiling the table is read against. Nothing is restarted: a crash is an error, not a retry
/// that could count episodes twice.
/// </summary>
public sealed class EvalRunner(ILoggerFactory loggers, TimeProvider time, string? binaries = null)
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(180);

    /// <summary>Pass as the checkpoint to evaluate the scripted reference policy instead of a model.</summary>
    public const string Reference = "scripted";

    public async Task<EvalResult> RunAsync(RunManifest manifest, string label, string? checkpoint, int episodes, string workDir, string runtime, CancellationToken cancellationToken)
    {
        var reference = checkpoint == Reference;
        if (checkpoint is not null && !reference && !Directory.Exists(checkpoint))
            throw new DirectoryNotFoundException($"--checkpoint: no such folder, got {checkpoint}");
        var started = Stopwatch.StartNew();
        Directory.CreateDirectory(workDir);
        var results = Path.Combine(workDir, $"eval-{label}.jsonl");
        File.Delete(results);
        int grpc = FreePorts.Next(), metrics = FreePorts.Next(), execMetrics = FreePorts.Next();
        var trainerArgs = new List<string>
        {
            "--manifest", manifest.Path, "--run-dir", Path.Combine(workDir, $"eval-{label}"), "--serve-only",
            "--grpc-port", grpc.ToString(), "--metrics-port", metrics.ToString(),
        };
        // No checkpoint: the trainer serves what training starts from (spec.policy.checkpoint, else its seeded
        // random initialisation), the untrained row.
        if (checkpoint is not null) trainerArgs.AddRange(["--checkpoint", checkpoint]);
        var trainer = new ChildSpec($"eval-{label}-trainer", LocalBinaries.Find("agentops-trainer", binaries), trainerArgs, 0, ChildSpecs.WorkerGrace);
        var executor = new ChildSpec($"eval-{label}-executor", LocalBinaries.Find("agentops-workers", binaries),
            ["executor", "--manifest", manifest.Path, "--policy", reference ? Reference : $"http://127.0.0.1:{grpc}", "--split", "eval",
             "--episodes", episodes.ToString(), "--results", results, "--executor", $"eval-{label}", "--metrics-port", execMetrics.ToString(), "--runtime", runtime],
            1, ChildSpecs.WorkerGrace);

        await using var supervisor = new Supervisor(Path.Combine(workDir, "logs"), RestartPolicy.Default with { MaxRestarts = 0 }, time, loggers.CreateLogger<Supervisor>());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var status = new StatusClient(http);
        if (!reference)
        {
            supervisor.Start(trainer);
            await status.WaitReadyAsync(trainer.Name, $"http://127.0.0.1:{metrics}/readyz", () => !supervisor.Current(trainer.Name).HasExited, ReadyTimeout, cancellationToken);
        }
        supervisor.Start(executor);
        var done = supervisor.WaitForCompletionAsync(executor.Name);
        var trainerDied = reference ? Task.Delay(Timeout.Infinite, cancellationToken) : supervisor.WaitForCompletionAsync(trainer.Name);
        var first = await Task.WhenAny(done, trainerDied, Task.Delay(Timeout.Infinite, cancellationToken));
        if (first != done)
        {
            if (first == trainerDied)
                throw new InvalidOperationException($"{trainer.Name}: exited during evaluation; see {supervisor.Current(trainer.Name).LogPath}");
            cancellationToken.ThrowIfCancellationRequested();
        }
        try
        {
            await done;
        }
        catch (ChildFailedException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
        await supervisor.StopAsync();

        if (!File.Exists(results))
            throw new InvalidDataException($"{executor.Name}: finished without writing {results}; see {supervisor.Current(executor.Name).LogPath}");
        var rows = EpisodeResult.ReadAll(results);
        if (rows.Count != episodes)
            throw new InvalidDataException($"{results}: expected {episodes} episodes, got {rows.Count}");
        var scored = rows.Where(r => !r.IsInfrastructureFailure).ToList();
        var successes = scored.Count(r => r.Success);
        return new EvalResult(label, reference ? "(scripted reference policy)" : checkpoint ?? "(untrained: the policy training starts from)", scored.Count, successes,
            WilsonInterval.Of(successes, scored.Count), results, started.Elapsed.TotalSeconds, rows.Count - scored.Count);
    }
}
