using System.CommandLine;
using AgentOps.Operator.Eval;
using AgentOps.Operator.Local;

namespace AgentOps.Operator.Cli;

/// <summary>`agentops eval FILE --checkpoint DIR`: success rate on held-out tasks with a 95% Wilson interval.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "TrainingRun manifest (its eval seed picks the held-out tasks)" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint folder, e.g. runs/NAME/checkpoints/latest" };
        var reference = new Option<bool>("--reference") { Description = "Evaluate the executor's scripted reference policy instead (no model): the ceiling" };
        var tasks = new Option<int>("--tasks") { Description = "Held-out tasks (default spec.environment.eval.tasks)" };
        var workDir = new Option<string>("--work-dir") { Description = "Where results and logs go (default: the checkpoint's folder)/eval" };
        var command = new Command("eval", "Evaluate a checkpoint on held-out tasks (greedy)") { file, checkpoint, reference, tasks, workDir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            RunManifest manifest;
            try
            {
                manifest = ManifestLoader.Load(parse.GetValue(file)!);
                if (parse.GetValue(tasks) < 0) throw new ManifestInvalidException(manifest.Path, [$"--tasks: must be at least 1, got {parse.GetValue(tasks)}"]);
                await ManifestLoader.CheckEnvironmentAsync(manifest, parse.GetValue(tasks), cancellationToken);
            }
            catch (ManifestInvalidException e)
            {
                return CliErrors.Invalid(e, Console.Error);
            }
            var isReference = parse.GetValue(reference);
            if (isReference == parse.GetValue(checkpoint) is { Length: > 0 })
            {
                Console.Error.WriteLine("error: give exactly one of --checkpoint DIR and --reference");
                return LocalRunner.ExitInvalid;
            }
            var dir = isReference ? Path.GetFullPath(".") : Path.GetFullPath(parse.GetValue(checkpoint)!);
            var n = parse.GetValue(tasks) > 0 ? parse.GetValue(tasks) : manifest.EvalTasks;
            var work = parse.GetValue(workDir) is { Length: > 0 } w ? Path.GetFullPath(w)
                : isReference ? Path.Combine(dir, "runs", manifest.Name, "eval") : Path.Combine(Path.GetDirectoryName(dir.TrimEnd('/'))!, "eval");
            var runtime = RuntimeDetector.Choose(manifest.Runtime);
            Console.WriteLine($"evaluating {(isReference ? "the scripted reference policy" : dir)} on {n} held-out tasks of {manifest.Environment} (seed {manifest.EvalSeed}, greedy); runtime {runtime.Runtime}: {runtime.Reason}");
            using var loggers = CliErrors.Loggers();
            try
            {
                var r = await new EvalRunner(loggers, TimeProvider.System).RunAsync(manifest, isReference ? "reference" : "checkpoint", isReference ? EvalRunner.Reference : dir, n, work, runtime.Runtime, cancellationToken);
                EvalTable.Print([r], Console.Out);
                Console.WriteLine($"results: {r.ResultsPath}");
                return LocalRunner.ExitOk;
            }
            catch (Exception e) when (e is DirectoryNotFoundException or InvalidOperationException or InvalidDataException or TimeoutException or FileNotFoundException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return LocalRunner.ExitFailed;
            }
        });
        return command;
    }
}
