using System.Diagnostics;
using AgentOps.Operator.Local;
using Microsoft.Extensions.Logging;

namespace AgentOps.Operator.Eval;

/// <summary>
/// Held-out evaluation of one checkpoint (or of the untrained, seeded model when none is given): a trainer
/// in `--serve-only` mode and one executor in `--split eval --episodes N --results FILE` mode, greedy, on the
/// manifest's eval seed (never the training tasks). Nothing is restarted: a crash is an error, not a retry
/// that could count episodes twice.
/// </summary>
public sealed class EvalRunner(ILoggerFactory loggers, TimeProvider time, string? binaries = null)
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(180);

    public async Task<EvalResult> RunAsync(RunManifest manifest, string label, string? checkpoint, int episodes, string workDir, string runtime, CancellationToken cancellationToken)
    {
        if (checkpoint is not null && !Directory.Exists(checkpoint))
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
        if (checkpoint is not null) trainerArgs.AddRange(["--checkpoint", checkpoint]);
        var trainer = new ChildSpec($"eval-{label}-trainer", LocalBinaries.Find("agentops-trainer", binaries), trainerArgs, 0, ChildSpecs.WorkerGrace);
        var executor = new ChildSpec($"eval-{label}-executor", LocalBinaries.Find("agentops-workers", binaries),
            ["executor", "--manifest", manifest.Path, "--policy", $"http://127.0.0.1:{grpc}", "--split", "eval",
             "--episodes", episodes.ToString(), "--results", results, "--metrics-port", execMetrics.ToString(), "--runtime", runtime],
            1, ChildSpecs.WorkerGrace);

        await using var supervisor = new Supervisor(Path.Combine(workDir, "logs"), RestartPolicy.Default with { MaxRestarts = 0 }, time, loggers.CreateLogger<Supervisor>());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var status = new StatusClient(http);
        supervisor.Start(trainer);
        await status.WaitReadyAsync(trainer.Name, $"http://127.0.0.1:{metrics}/readyz", () => !supervisor.Current(trainer.Name).HasExited, ReadyTimeout, cancellationToken);
        supervisor.Start(executor);
        var done = supervisor.WaitForCompletionAsync(executor.Name);
        var trainerDied = supervisor.WaitForCompletionAsync(trainer.Name);
        var first = await Task.WhenAny(done, trainerDied, Task.Delay(Timeout.Infinite, cancellationToken));
        if (first != done)
        {
            if (first == trainerDied)
                throw new InvalidOperationException($"{trainer.Name}: exited during evaluation; see {supervisor.Current(trainer.Name).LogPath}");
            cancellationToken.ThrowIfCancellationRequested();
        }
        await done;
        await supervisor.StopAsync();

        if (!File.Exists(results))
            throw new InvalidDataException($"{executor.Name}: finished without writing {results}; see {supervisor.Current(executor.Name).LogPath}");
        var rows = EpisodeResult.ReadAll(results);
        if (rows.Count != episodes)
            throw new InvalidDataException($"{results}: expected {episodes} episodes, got {rows.Count}");
        var successes = rows.Count(r => r.Success);
        return new EvalResult(label, checkpoint ?? "(untrained, seeded init)", rows.Count, successes,
            WilsonInterval.Of(successes, rows.Count), results, started.Elapsed.TotalSeconds);
    }
}
