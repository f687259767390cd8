using Microsoft.Extensions.Logging;

namespace AgentOps.Workers.Pipeline;

internal static partial class PusherLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "push of {Count} trajectories failed with {Code} ({Detail}); retry {Attempt} in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, int count, string code, string detail, int attempt, long delayMs);

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "trajectory {TrajectoryId} refused as invalid and not stored: {Detail}")]
    public static partial void Invalid(ILogger logger, string trajectoryId, string detail);

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "the gateway refused the pusher for good: {Code} {Detail}")]
    public static partial void Fatal(ILogger logger, string code, string detail);

    [LoggerMessage(EventId = 303, Level = LogLevel.Error, Message = "the pusher's send loop failed and the pusher stopped")]
    public static partial void Failed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "the gateway does not serve TrajectoryIngest.PushBatches ({Detail}): pushing one trajectory per message (Push) from now on")]
    public static partial void FallingBack(ILogger logger, string detail);
}
