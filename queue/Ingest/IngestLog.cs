using Microsoft.Extensions.Logging;

namespace AgentOps.Queue.Ingest;

internal static partial class IngestLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Push from {Peer} refused ({Reason}): {Detail}")]
    public static partial void Rejected(ILogger logger, string peer, string reason, string detail);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Queue unavailable while appending for {Peer}: {Detail}")]
    public static partial void QueueUnavailable(ILogger logger, string peer, string detail);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Backpressure: backlog {Backlog} is over {MaxBacklog}, asking {Peer} to retry in {RetryAfterMs} ms")]
    public static partial void Backpressure(ILogger logger, long backlog, long maxBacklog, string peer, long retryAfterMs);
}
