using Microsoft.Extensions.Logging;

namespace AgentOps.Workers.Executor;

internal static partial class ExecutorLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "executor {Executor}: run {Run}, environment {Environment}, policy {Policy}, sandbox runtime {Runtime}, {Concurrency} concurrent episodes")]
    public static partial void Starting(ILogger logger, string executor, string run, string environment, string policy, string runtime, int concurrency);

    [LoggerMessage(Level = LogLevel.Information, Message = "phase {Phase} (policy version {Version}, step {Step})")]
    public static partial void Phase(ILogger logger, string phase, long version, long step);

    [LoggerMessage(Level = LogLevel.Warning, Message = "policy Info failed, retrying in {Seconds} s: {Error}")]
    public static partial void InfoFailed(ILogger logger, double seconds, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "episode {Episode} ended with infrastructure failure {Outcome}: {Message}")]
    public static partial void InfraFailure(ILogger logger, string episode, string outcome, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "cat: {Training} training tasks kept of spec.environment.settings.tasks={Wanted}, {HeldOut} held-out tasks kept")]
    public static partial void CatTasks(ILogger logger, int training, int wanted, int heldOut);

    [LoggerMessage(Level = LogLevel.Information, Message = "SFT export: the policy's RL episodes with reward >= {MinReward} go to {Path}")]
    public static partial void Exporting(ILogger logger, double minReward, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "spec.export.sftJsonl is true but this executor got neither --export-dir nor --sft-export: it exports nothing")]
    public static partial void ExportNowhere(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "done: {Episodes} episodes, mean reward {MeanReward:0.000}, success {Success:0.000}")]
    public static partial void Done(ILogger logger, int episodes, double meanReward, double success);
}
