using System.Net;
using System.Runtime.InteropServices;
using AgentOps.Queue;
using AgentOps.Queue.Ingest;
using AgentOps.Telemetry;
using AgentOps.Telemetry.Grpc;
using Microsoft.Extensions.Logging;

namespace AgentOps.Gateway;

/// <summary>
/// `agentops-gateway`: TrajectoryIngest.Push and PushBatches into the run's Redis stream (issue 3). Stateless, so any
/// number of replicas can serve one run. Prints "gateway: ready grpc=PORT metrics=PORT" once both ports listen;
/// stops on SIGTERM / SIGINT after in-flight calls finish (up to 10 s).
/// </summary>
public static class GatewayCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        GatewayOptions options;
        string token;
        try
        {
            options = GatewayOptions.Parse(args);
            token = File.ReadAllText(options.TokenFile).Trim();
            if (token.Length == 0) throw new ArgumentException($"--token-file: {options.TokenFile} is empty");
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"gateway: {e.Message}");
            Console.Error.WriteLine(GatewayOptions.Usage);
            return 2;
        }

        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
        var logger = loggerFactory.CreateLogger("AgentOps.Gateway");
        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; GatewayLog.Stopping(logger, "SIGTERM"); stop.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; GatewayLog.Stopping(logger, "SIGINT"); stop.Cancel(); });

        await using var queue = await RedisTrajectoryQueue.ConnectAsync(options.Redis,
            new RedisQueueOptions { RunId = options.Run, MaxLength = options.MaxLength });
        using var metrics = new IngestMetrics();
        var bind = IPAddress.Parse(options.Bind);
        await using var metricsServer = new MetricsServer(new MetricsServerOptions { Port = options.MetricsPort, Address = bind });
        async Task<ReadinessResult> RedisReady(CancellationToken ct)
        {
            var stats = await queue.GetStatsAsync(ct);
            return ReadinessResult.Ready($"stream length {stats.Length}, backlog {stats.Lag}");
        }
        metricsServer.AddReadinessCheck("redis", RedisReady);
        await metricsServer.StartAsync(stop.Token);

        var service = new TrajectoryIngestService(queue, new IngestOptions
        {
            RunId = options.Run,
            BearerToken = token,
            MaxBacklog = options.MaxBacklog,
            MaxTrajectoryBytes = options.MaxTrajectoryBytes,
            KnownEnvironments = options.Environments.Count > 0 ? options.Environments.ToHashSet(StringComparer.Ordinal) : null,
        }, metrics, loggerFactory.CreateLogger<TrajectoryIngestService>());
        await using var host = await GrpcServerHost.StartAsync(new GrpcServerHostOptions
        {
            BindAddress = bind,
            Port = options.Port,
            HealthChecks = [("redis", RedisReady)],
        },
        // Frames up to twice the trajectory limit reach the validator (INVALID_ARGUMENT naming the size);
        // bigger ones are refused from the frame header (RESOURCE_EXHAUSTED) without being read.
        [service.ToGrpcService(maxReceiveMessageSize: (int)Math.Min(int.MaxValue, 2L * options.MaxTrajectoryBytes))], stop.Token);

        GatewayLog.Started(logger, options.Run, options.Bind, host.Port, metricsServer.Port, options.Redis, options.MaxBacklog);
        Console.Out.WriteLine($"gateway: ready grpc={host.Port} metrics={metricsServer.Port}");
        Console.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        await host.StopAsync(TimeSpan.FromSeconds(10));
        return 0;
    }
}
