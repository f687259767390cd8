using Microsoft.Extensions.Logging;

namespace AgentOps.Protos.Grpc;

internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "gRPC handler for {Method} threw")]
    public static partial void HandlerFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "gRPC call {Method} passed its deadline of {Timeout}")]
    public static partial void DeadlineExceeded(ILogger logger, string method, TimeSpan timeout);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "gRPC call {Method} could not write its status: {Reason}")]
    public static partial void StatusWriteFailed(ILogger logger, string method, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "gRPC call {Method} refused: {Status}")]
    public static partial void Refused(ILogger logger, string method, Status status);
}
