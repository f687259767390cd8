using Microsoft.Extensions.Logging;

namespace AgentOps.Queue;

internal static partial class TrajectoryConsumerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "consumer {Consumer} claimed {Count} entries idle over {IdleSeconds} s from a dead consumer")]
    public static partial void Reclaimed(ILogger logger, string consumer, int count, double idleSeconds);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "consumer {Consumer}: queue unavailable, retrying in {DelaySeconds} s")]
    public static partial void Unavailable(ILogger logger, Exception exception, string consumer, double delaySeconds);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "consumer {Consumer}: entry {EntryId} (trajectory id \"{TrajectoryId}\", {PayloadBytes} bytes) moved to the dead-letter stream: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string consumer, string entryId, string trajectoryId, int payloadBytes, string reason);
}
