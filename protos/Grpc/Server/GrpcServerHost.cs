using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentOps.Protos.Grpc;

public sealed record GrpcServerHostOptions
{
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>0 picks a free port; read it back from <see cref="GrpcServerHost.Port"/>.</summary>
    public int Port { get; init; }

    /// <summary>Serve TLS (HTTP/2 through ALPN) with this certificate; null serves cleartext h2c (prior knowledge).</summary>
    public X509Certificate2? Certificate { get; init; }

    public GrpcServiceOptions Service { get; init; } = new();

    /// <summary>HTTP/2 flow-control windows. Kestrel's defaults (96 KiB / 128 KiB) cap a loopback stream well
    /// below what the transport can move; 4 MiB / 8 MiB let a 64 KiB-message stream run without stalls.</summary>
    public int Http2StreamWindowBytes { get; init; } = 4 * 1024 * 1024;
    public int Http2ConnectionWindowBytes { get; init; } = 8 * 1024 * 1024;

    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Warning;

    /// <summary>Extra services (DI) and endpoints, e.g. a health route, registered next to the gRPC ones.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }
}

/// <summary>
/// A Kestrel HTTP/2 server hosting gRPC services on one port.
/// <code>
/// await using var host = await GrpcServerHost.StartAsync(new GrpcServerHostOptions { Port = 0 },
///     [Policy.BindService(new MyPolicy())]);
/// var channel = GrpcChannel.ForAddress(host.Address);          // "http://127.0.0.1:PORT"
/// var client = new Policy.PolicyClient(channel);
/// var info = await client.InfoAsync(new InfoRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
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

    public static async Task<GrpcServerHost> StartAsync(GrpcServerHostOptions options, IEnumerable<ServerServiceDefinition> services,
        Action<WebApplication>? mapMore = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        options.ConfigureServices?.Invoke(builder.Services);
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
        foreach (var service in services) app.MapGrpcService(service, options.Service);
        mapMore?.Invoke(app);
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
