using Microsoft.Extensions.Logging;

namespace AgentOps.Gateway;

internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "gateway for run {Run}: gRPC on {Bind}:{Port}, metrics on :{MetricsPort}, redis {Redis}, max backlog {MaxBacklog}")]
    public static partial void Started(ILogger logger, string run, string bind, int port, int metricsPort, string redis, long maxBacklog);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "gateway stopping ({Signal})")]
    public static partial void Stopping(ILogger logger, string signal);
}
