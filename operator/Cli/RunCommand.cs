using System.CommandLine;
using AgentOps.Operator.Local;

namespace AgentOps.Operator.Cli;

/// <summary>`agentops run FILE`: the TrainingRun on local processes (see <see cref="LocalRunner"/>).</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "TrainingRun manifest (YAML), the same one `kubectl apply` takes" };
        var redis = new Option<string>("--redis") { Description = "Redis URL for the trajectory queue; `auto` starts a local redis-server; absent: the trainer's in-process queue" };
        var runDir = new Option<string>("--run-dir") { Description = "Run folder (default runs/NAME): logs, checkpoints, metrics.jsonl, report.html" };
        var executors = new Option<int>("--executors") { Description = "Executor processes (default spec.sandbox.replicas)" };
        var resume = new Option<bool>("--resume") { Description = "Require RUN_DIR/checkpoints/latest to resume from (a run folder with one resumes anyway)" };
        var noEval = new Option<bool>("--no-eval") { Description = "Skip the held-out evaluation at the end" };
        var evalTasks = new Option<int>("--eval-tasks") { Description = "Held-out tasks per evaluation (default spec.environment.eval.tasks)" };
        var compare = new Option<bool>("--compare") { Description = "Also train the text-only twin (interpreter: false) with the same SFT budget and evaluate it: the ReTool comparison" };
        var command = new Command("run", "Train an agent from a TrainingRun manifest on this machine") { file, redis, runDir, executors, resume, noEval, evalTasks, compare };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new RunOptions(parse.GetValue(file)!, parse.GetValue(redis) ?? "", parse.GetValue(runDir) ?? "",
                parse.GetValue(executors), parse.GetValue(resume), !parse.GetValue(noEval), parse.GetValue(compare), parse.GetValue(evalTasks));
            LocalRunPlan plan;
            try
            {
                if (options.Executors < 0) throw new ManifestInvalidException(options.ManifestPath, [$"--executors: must be at least 1, got {options.Executors}"]);
                var manifest = ManifestLoader.Load(options.ManifestPath);
                await ManifestLoader.CheckEnvironmentAsync(manifest, options.EvalTasks, cancellationToken);
                plan = PlanBuilder.Build(manifest, options);
            }
            catch (ManifestInvalidException e)
            {
                return CliErrors.Invalid(e, Console.Error);
            }
            using var loggers = CliErrors.Loggers();
            return await new LocalRunner(loggers, TimeProvider.System, Console.Out).RunAsync(plan, options, cancellationToken);
        });
        return command;
    }
}
