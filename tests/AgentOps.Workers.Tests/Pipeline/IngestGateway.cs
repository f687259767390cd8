using Grpc.Core;
using Grpc.Net.Client;
using AgentOps.Telemetry.Grpc;
using AgentOps.Queue.Ingest;
using AgentOps.Queue;
using AgentOps.Protos.V1;

namespace AgentOps.Workers.Tests.Pipeline;

/// <summary>An in-process gateway (ingest service + our gRPC host) over the in-process queue.</summary>
internal sealed class IngestGateway : IAsyncDisposable
{
    public const string Run = "push-run";
    public const string Token = "push-token";

    private IngestGateway(GrpcServerHost host, InProcessTrajectoryQueue queue)
    {
        Host = host;
        Queue = queue;
    }

    public GrpcServerHost Host { get; }
    public InProcessTrajectoryQueue Queue { get; }

    public static async Task<IngestGateway> StartAsync(long maxBacklog = 10_000, int port = 0, InProcessTrajectoryQueue? queue = null)
    {
        queue ??= new InProcessTrajectoryQueue();
        var service = new TrajectoryIngestService(queue, new IngestOptions
        {
            RunId = Run,
            BearerToken = Token,
            MaxBacklog = maxBacklog,
            BacklogCheckInterval = TimeSpan.Zero,
            RetryAfter = TimeSpan.FromMilliseconds(100),
        });
        var host = await GrpcServerHost.StartAsync(new GrpcServerHostOptions { Port = port }, [service.ToGrpcService()]);
        return new IngestGateway(host, queue);
    }

    public async Task<List<string>> DrainIdsAsync()
    {
        var ids = new List<string>();
        while (true)
        {
            var entries = await Queue.ReadAsync("test", 500, TimeSpan.FromMilliseconds(100));
            if (entries.Count == 0) return ids;
            ids.AddRange(entries.Select(e => e.Trajectory.TrajectoryId));
            await Queue.AcknowledgeAsync(entries);
        }
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
