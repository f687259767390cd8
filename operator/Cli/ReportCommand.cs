using System.CommandLine;
using AgentOps.Operator.Report;

namespace AgentOps.Operator.Cli;

/// <summary>`agentops report RUN_DIR`: redraws RUN_DIR/report.html from metrics.jsonl and eval/summary.json.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("RUN_DIR") { Description = "A run folder written by `agentops run`" };
        var command = new Command("report", "Redraw report.html of a run folder") { dir };
        command.SetAction(parse =>
        {
            var runDir = parse.GetValue(dir)!;
            if (!Directory.Exists(runDir))
            {
                Console.Error.WriteLine($"error: RUN_DIR: no such folder, got {runDir}");
                return 2;
            }
            Console.WriteLine($"report: {RunFolderReport.Redraw(runDir)}");
            return 0;
        });
        return command;
    }
}
