using AgentOps.Telemetry.Grpc;
using AgentOps.Testing.Interop;
using Grpc.Net.Client;

namespace AgentOps.Protos.Tests.Grpc;

/// <summary>grpc-dotnet's server with the interop reference service on a free loopback port, and a channel to it.</summary>
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

    public static async Task<LoopbackServer> StartAsync(GrpcServerHostOptions? options = null, Action<global::Grpc.AspNetCore.Server.GrpcServiceOptions<InteropService>>? service = null) =>
        new(await GrpcServerHost.StartAsync(options ?? new GrpcServerHostOptions(), [GrpcService.Of(new InteropService(), service)]));

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Host.DisposeAsync();
    }
}
