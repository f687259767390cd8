using Microsoft.Extensions.Logging;

namespace AgentOps.Operator.Controller;

/// <summary>Source-generated log messages of the controller machinery.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "{Kind}: listed {Count} objects at resourceVersion {ResourceVersion}")]
    public static partial void Listed(ILogger logger, string kind, int count, string resourceVersion);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "{Kind}: watch from resourceVersion {ResourceVersion} expired ({Reason}); relisting")]
    public static partial void WatchExpired(ILogger logger, string kind, string resourceVersion, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "{Kind}: watch failed; reconnecting in {Delay}")]
    public static partial void WatchFailed(ILogger logger, Exception exception, string kind, TimeSpan delay);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "{Kind} {Key}: reconcile failed (attempt {Attempt}); retrying with backoff")]
    public static partial void ReconcileFailed(ILogger logger, Exception exception, string kind, string key, int attempt);

    [LoggerMessage(EventId = 111, Level = LogLevel.Debug, Message = "{Kind} {Key}: conflict ({Message}); requeued")]
    public static partial void ReconcileConflict(ILogger logger, string kind, string key, string message);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "{Kind} {Key}: {Message}")]
    public static partial void ReconcileRetry(ILogger logger, string kind, string key, string message);

    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "leader election: {Identity} became the leader of lease {Lease}")]
    public static partial void BecameLeader(ILogger logger, string identity, string lease);

    [LoggerMessage(EventId = 121, Level = LogLevel.Warning, Message = "leader election: {Identity} lost lease {Lease}: {Reason}")]
    public static partial void LostLeadership(ILogger logger, string identity, string lease, string reason);

    [LoggerMessage(EventId = 122, Level = LogLevel.Debug, Message = "leader election: lease {Lease} is held by {Holder}")]
    public static partial void LeaseHeld(ILogger logger, string lease, string holder);

    [LoggerMessage(EventId = 123, Level = LogLevel.Information, Message = "leader election: {Identity} released lease {Lease}")]
    public static partial void LeaseReleased(ILogger logger, string identity, string lease);

    [LoggerMessage(EventId = 124, Level = LogLevel.Warning, Message = "leader election: lease {Lease}: {Error}")]
    public static partial void LeaseError(ILogger logger, string lease, string error);
}
