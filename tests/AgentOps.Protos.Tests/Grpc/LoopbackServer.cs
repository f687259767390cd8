using AgentOps.Protos.Grpc;
using AgentOps.Protos.Testing;

namespace AgentOps.Protos.Tests.Grpc;

/// <summary>Our server with the interop reference service on a free loopback port, and a channel to it.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private LoopbackServer(GrpcServerHost host)
    {
        Host = host;
        Channel = GrpcChannel.ForAddress(host.Address);
        Client = new Interop.InteropClient(Channel);
    }

    public GrpcServerHost Host { get; }
    public GrpcChannel Channel { get; }
    public Interop.InteropClient Client { get; }

    public static async Task<LoopbackServer> StartAsync(GrpcServiceOptions? service = null) =>
        new(await GrpcServerHost.StartAsync(new GrpcServerHostOptions { Service = service ?? new GrpcServiceOptions() },
            [Interop.BindReferenceService()]));

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Host.DisposeAsync();
    }
}
