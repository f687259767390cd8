using AgentOps.Operator.Eval;
using AgentOps.Operator.Report;
using AgentOps.Trainer.Checkpoints;
using Microsoft.Extensions.Logging;

namespace AgentOps.Operator.Local;

/// <summary>
/// `agentops run`: reconciles a TrainingRun onto local processes (redis-server when asked, the trainer, a
/// gateway with Redis, N executors), shows progress until the trainer finishes, then evaluates on held-out
/// tasks and writes report.html. Ctrl-C stops the trainer first (it checkpoints) and exits; the same
/// command again resumes from RUN_DIR/checkpoints/latest.
/// </summary>
public sealed class LocalRunner(ILoggerFactory loggers, TimeProvider time, TextWriter output, string? binaries = null)
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(180);
    /// <summary>How long executors get to exit on their own once the trainer is done. Short: with the trainer gone
    /// (it hosts the in-process queue) nothing they still produce can be trained on, and an executor that polled
    /// after the trainer exited only sees it unreachable (measured: every phase waited the old 60 s in full).</summary>
    public static readonly TimeSpan ExecutorDrain = TimeSpan.FromSeconds(5);

    public const int ExitOk = 0, ExitFailed = 1, ExitInvalid = 2, ExitInterrupted = 130;

    public async Task<int> RunAsync(LocalRunPlan plan, RunOptions options, CancellationToken cancellationToken)
    {
        plan = Prepare(plan);
        var started = time.GetUtcNow();
        var trained = await TrainAsync(plan, Children(plan), cancellationToken);
        if (trained != ExitOk) return trained;
        output.WriteLine($"training finished in {(time.GetUtcNow() - started).TotalMinutes:0.0} min");
        if (plan.Manifest.ExportSftJsonl)
        {
            var (lines, files) = SftExport.Merge(plan);
            output.WriteLine($"SFT export (spec.export.sftJsonl): {lines} kept trajectories from {files} executor file(s) in {plan.SftJsonl}");
        }

        var evaluations = new List<EvalResult>();
        var notes = new List<string>();
        var evalFailed = false; // of a trained checkpoint; the untrained baseline missing is a note, not a failed run
        if (options.Evaluate)
        {
            var eval = new EvalRunner(loggers, time, binaries);
            var tasks = options.EvalTasks > 0 ? options.EvalTasks : plan.Manifest.EvalTasks;
            var checkpoints = new List<(string Label, string? Dir)> { (EvalTable.Untrained, null) };
            var sft = Path.Combine(plan.RunDir, "checkpoints", "sft");
            var latest = Path.Combine(plan.RunDir, "checkpoints", "latest");
            if (Directory.Exists(sft)) checkpoints.Add((EvalTable.AfterSft, sft));
            else if (plan.Manifest.SftEnabled) notes.Add($"SFT was enabled but {sft} does not exist: no after-SFT row.");
            if (Directory.Exists(latest)) checkpoints.Add((EvalTable.AfterRl, latest));
            else notes.Add($"{latest} does not exist: no after-RL row.");
            foreach (var (label, dir) in checkpoints)
                evalFailed |= !await EvaluateAsync(eval, plan, label, dir, tasks, evaluations, notes, cancellationToken) && dir is not null;
        }
        if (options.Compare)
        {
            // The ReTool comparison in miniature: the same SFT budget, answers in text instead of code.
            var twin = Prepare(PlanBuilder.Build(ManifestLoader.TextOnlyTwin(plan.Manifest, SftStepsTaken(plan)),
                options with { RunDir = Path.Combine(plan.RunDir, "text-only"), Compare = false, Resume = false }));
            output.WriteLine();
            output.WriteLine($"ReTool comparison: training the text-only twin {twin.Manifest.Name} (interpreter: false, the same " +
                $"{twin.Manifest.SftSteps} SFT steps, no RL) in {twin.RunDir}");
            var twinTrained = await TrainAsync(twin, Children(twin), cancellationToken);
            if (twinTrained == ExitInterrupted) return twinTrained;
            var twinLatest = Path.Combine(twin.RunDir, "checkpoints", "latest");
            if (twinTrained != ExitOk || !Directory.Exists(twinLatest))
                notes.Add($"the text-only twin did not finish training (see {twin.LogDir}): no {EvalTable.TextOnlySft} row.");
            else if (options.Evaluate)
            {
                var eval = new EvalRunner(loggers, time, binaries);
                var tasks = options.EvalTasks > 0 ? options.EvalTasks : twin.Manifest.EvalTasks;
                evalFailed |= !await EvaluateAsync(eval, twin, EvalTable.TextOnlySft, twinLatest, tasks, evaluations, notes, cancellationToken);
            }
        }
        WriteReport(plan, evaluations, notes);
        EvalTable.Print(evaluations, output);
        output.WriteLine($"report: {Path.Combine(plan.RunDir, "report.html")}");
        return evalFailed ? ExitFailed : ExitOk;
    }

    /// <summary>The steps the run's SFT phase took (its checkpoint's state), or null without one: fewer than the
    /// manifest's when spec.policy.sft.targetLoss ended it sooner.</summary>
    private static long? SftStepsTaken(LocalRunPlan plan)
    {
        var sft = Path.Combine(plan.RunDir, "checkpoints", "sft");
        if (!Directory.Exists(sft)) return null;
        var state = CheckpointStore.ReadState(sft);
        return state.SftSteps ?? state.Step;
    }

    /// <summary>Creates the run folder and RUN_DIR/manifest.yaml, which every child reads: what this run was started
    /// with, even from stdin or an edited file.</summary>
    private static LocalRunPlan Prepare(LocalRunPlan plan)
    {
        Directory.CreateDirectory(plan.LogDir);
        File.WriteAllText(plan.ManifestCopy, plan.Manifest.Text);
        if (plan.Queue.StartRedis) Directory.CreateDirectory(Path.Combine(plan.RunDir, "redis"));
        return plan with { Manifest = plan.Manifest with { Path = plan.ManifestCopy } };
    }

    private List<ChildSpec> Children(LocalRunPlan plan)
    {
        var token = RunToken.LoadOrCreate(plan.RunDir);
        var children = new List<ChildSpec>();
        if (plan.Queue.StartRedis) children.Add(ChildSpecs.Redis(plan));
        children.Add(ChildSpecs.Trainer(plan, token, binaries));
        if (plan.Queue.Kind != "in-process") children.Add(ChildSpecs.Gateway(plan, token, binaries));
        children.AddRange(plan.ExecutorMetricsPorts.Select((_, i) => ChildSpecs.Executor(plan, i, token, binaries)));
        PlanPrinter.Print(plan, children, output);
        output.WriteLine();
        return children;
    }

    /// <summary>One row of the held-out table; false (with a note) when the evaluation failed.</summary>
    private async Task<bool> EvaluateAsync(EvalRunner eval, LocalRunPlan plan, string label, string? checkpoint, int tasks,
        List<EvalResult> evaluations, List<string> notes, CancellationToken cancellationToken)
    {
        output.WriteLine($"evaluating {label} on {tasks} held-out tasks (seed {plan.Manifest.EvalSeed}, greedy)...");
        try
        {
            var r = await eval.RunAsync(plan.Manifest, Slug(label), checkpoint, tasks, Path.Combine(plan.RunDir, "eval"), plan.Runtime.Runtime, cancellationToken);
            evaluations.Add(r with { Label = label });
            output.WriteLine($"  {label,-13} {r.Format()}");
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            notes.Add($"evaluation of {label} failed: {e.Message}");
            output.WriteLine($"  {label}: FAILED: {e.Message}");
            return false;
        }
    }

    private async Task<int> TrainAsync(LocalRunPlan plan, IReadOnlyList<ChildSpec> children, CancellationToken cancellationToken)
    {
        await using var supervisor = new Supervisor(plan.LogDir, RestartPolicy.Default, time, loggers.CreateLogger<Supervisor>());
        using var failed = new CancellationTokenSource();
        supervisor.Failed += _ => failed.Cancel();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var status = new StatusClient(http);
        try
        {
            foreach (var spec in children)
            {
                supervisor.Start(spec);
                var alive = () => !supervisor.Current(spec.Name).HasExited;
                if (spec.Name == "redis") await RedisProbe.WaitAsync(plan.Queue.RedisPort, alive, TimeSpan.FromSeconds(30), cancellationToken);
                else if (spec.Name == "trainer")
                    await status.WaitReadyAsync("trainer", $"http://127.0.0.1:{plan.TrainerMetricsPort}/readyz", alive, ReadyTimeout, cancellationToken);
                else if (spec.Name == "gateway")
                    await status.WaitReadyAsync("gateway", $"http://127.0.0.1:{plan.GatewayMetricsPort}/readyz", alive, ReadyTimeout, cancellationToken);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            var name = e.Message.Split(':')[0];
            output.WriteLine($"error: {e.Message}");
            try
            {
                var tail = supervisor.Current(name).Tail();
                output.WriteLine($"last lines of {supervisor.Current(name).LogPath}:\n{tail}");
                if (tail.Contains("usage: agentops-trainer [options]", StringComparison.Ordinal))
                    output.WriteLine("error: agentops-trainer in this build is still the usage stub: it does not take the trainer flags " +
                        "(--manifest --run-dir --grpc-port --metrics-port [--redis]) yet, so nothing can be trained. Not faking it.");
            }
            catch (KeyNotFoundException) { }
            return ExitFailed;
        }
        catch (OperationCanceledException)
        {
            output.WriteLine("interrupted while starting; stopping.");
            return ExitInterrupted;
        }

        var trainerDone = supervisor.WaitForCompletionAsync("trainer");
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, failed.Token);
        var progress = new ProgressDisplay(ct => status.GetAsync(plan.StatusUrl, ct), supervisor, time, plan.Manifest.SftTargetLoss > 0);
        try
        {
            await progress.RunAsync(trainerDone, linked.Token);
        }
        catch (OperationCanceledException) { }

        if (cancellationToken.IsCancellationRequested)
        {
            output.WriteLine("Ctrl-C: stopping the trainer first (it writes a checkpoint), then the executors...");
            await supervisor.StopAsync();
            output.WriteLine($"stopped. Run the same command again to resume from {Path.Combine(plan.RunDir, "checkpoints", "latest")}.");
            return ExitInterrupted;
        }
        if (failed.IsCancellationRequested || trainerDone.IsFaulted)
        {
            var gaveUp = supervisor.Events.Last(e => e.Kind == SupervisorEventKind.GaveUp);
            output.WriteLine($"error: {gaveUp.Child} {gaveUp.Message}");
            await supervisor.StopAsync();
            return ExitFailed;
        }
        if (progress.Last is { } last) output.WriteLine(ProgressDisplay.Line(last, null));
        // The trainer finished (phase "done"): executors see it on their next Info poll and exit on their own.
        var executors = children.Where(c => c.Name.StartsWith("executor-", StringComparison.Ordinal)).Select(c => supervisor.WaitForCompletionAsync(c.Name));
        await Task.WhenAny(Task.WhenAll(executors), Task.Delay(ExecutorDrain, time, CancellationToken.None));
        await supervisor.StopAsync();
        return ExitOk;
    }

    private static void WriteReport(LocalRunPlan plan, IReadOnlyList<EvalResult> evaluations, List<string> notes)
    {
        RunFolderReport.SaveSummary(plan.RunDir, plan.Manifest.Name, plan.Manifest.Environment, plan.Manifest.Path, evaluations, notes);
        RunFolderReport.Write(plan.RunDir, plan.Manifest.Name, plan.Manifest.Environment, plan.Manifest.Path, evaluations, notes);
    }

    private static string Slug(string label) => label.Replace("after ", "").Replace(' ', '-').ToLowerInvariant();
}
