using Grpc.Core;
using Grpc.Net.Client;
using AgentOps.Telemetry.Grpc;
using AgentOps.Queue.Ingest;
using AgentOps.Queue;
using AgentOps.Protos.V1;

namespace AgentOps.Queue.Tests.Ingest;

/// <summary>The ingest service over a real queue, served by grpc-dotnet on a free loopback port.</summary>
internal sealed class IngestServer : IAsyncDisposable
{
    public const string Token = "run-token-123";

    private IngestServer(GrpcServerHost host, ITrajectoryQueue queue)
    {
        Host = host;
        Queue = queue;
        Channel = GrpcChannel.ForAddress(host.Address);
        Client = new TrajectoryIngest.TrajectoryIngestClient(Channel);
    }

    public GrpcServerHost Host { get; }
    public ITrajectoryQueue Queue { get; }
    public GrpcChannel Channel { get; }
    public TrajectoryIngest.TrajectoryIngestClient Client { get; }

    public static IngestOptions DefaultOptions => new()
    {
        RunId = "run-a",
        BearerToken = Token,
        KnownEnvironments = new HashSet<string> { "arithmetic", "countdown" },
        MaxTrajectoryBytes = 64 * 1024,
        BacklogCheckInterval = TimeSpan.Zero,
    };

    public static async Task<IngestServer> StartAsync(ITrajectoryQueue? queue = null, IngestOptions? options = null, int maxReceiveMessageSize = 256 * 1024)
    {
        queue ??= new InProcessTrajectoryQueue();
        var service = new TrajectoryIngestService(queue, options ?? DefaultOptions);
        var host = await GrpcServerHost.StartAsync(new GrpcServerHostOptions(), [service.ToGrpcService(maxReceiveMessageSize)]);
        return new IngestServer(host, queue);
    }

    public static Metadata Auth(string token = Token) => new() { { "authorization", "Bearer " + token } };

    /// <summary>Pushes the trajectories on one stream and returns the ack.</summary>
    public async Task<PushAck> PushAsync(IEnumerable<Trajectory> trajectories, Metadata? headers = null)
    {
        using var call = Client.Push(headers ?? Auth(), DateTime.UtcNow.AddSeconds(60));
        try
        {
            foreach (var t in trajectories) await call.RequestStream.WriteAsync(t);
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // the server ended the call early; its status comes from the response below
        }
        return await call.ResponseAsync;
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Host.DisposeAsync();
        await Queue.DisposeAsync();
    }
}
