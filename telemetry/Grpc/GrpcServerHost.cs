using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace AgentOps.Telemetry.Grpc;

/// <summary>
/// grpc-dotnet (Grpc.AspNetCore) on one Kestrel HTTP/2 port: the given services, grpc.health.v1.Health
/// (Grpc.AspNetCore.HealthChecks, over <see cref="GrpcServerHostOptions.HealthChecks"/>) and server reflection for
/// grpcurl (Grpc.AspNetCore.Server.Reflection). Unknown services and methods are UNIMPLEMENTED (grpc-dotnet's default).
/// <code>
/// await using var host = await GrpcServerHost.StartAsync(new GrpcServerHostOptions { Port = 0 }, [GrpcService.Of(new MyPolicy())]);
/// using var channel = GrpcChannel.ForAddress(host.Address);      // "http://127.0.0.1:PORT"
/// var info = await new Policy.PolicyClient(channel).InfoAsync(new InfoRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
/// </code>
/// </summary>
public sealed class GrpcServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcServerHost(WebApplication app, int port, bool tls, IPAddress bind)
    {
        _app = app;
        Port = port;
        var host = bind.Equals(IPAddress.Any) || bind.Equals(IPAddress.IPv6Any) ? "127.0.0.1" : bind.ToString();
        Address = $"{(tls ? "https" : "http")}://{host}:{port}";
    }

    public int Port { get; }

    /// <summary>An address a local client can dial, e.g. "http://127.0.0.1:5001".</summary>
    public string Address { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<GrpcServerHost> StartAsync(GrpcServerHostOptions options, IEnumerable<GrpcService> services, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        var grpc = builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = options.MaxReceiveMessageSize;
            o.EnableDetailedErrors = options.EnableDetailedErrors;
        });
        var list = services.ToList();
        foreach (var service in list) service.Register(builder.Services, grpc);
        var health = builder.Services.AddGrpcHealthChecks();
        foreach (var (name, check) in options.HealthChecks)
            health.AddAsyncCheck(name, async ct =>
            {
                var r = await check(ct).ConfigureAwait(false);
                return r.IsReady ? HealthCheckResult.Healthy(r.Detail) : HealthCheckResult.Unhealthy(r.Detail);
            });
        builder.Services.AddGrpcReflection();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null;
            k.Limits.MinRequestBodyDataRate = null;
            k.Limits.MinResponseDataRate = null;
            k.Limits.Http2.InitialStreamWindowSize = options.Http2StreamWindowBytes;
            k.Limits.Http2.InitialConnectionWindowSize = options.Http2ConnectionWindowBytes;
            k.Listen(options.BindAddress, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (options.Certificate != null) listen.UseHttps(options.Certificate);
            });
        });
        var app = builder.Build();
        foreach (var service in list) service.Map(app);
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GrpcServerHost(app, new Uri(address).Port, options.Certificate != null, options.BindAddress);
    }

    /// <summary>Stops accepting calls and waits up to <paramref name="grace"/> for running ones.</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        using var cts = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
