using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace AgentOps.Telemetry.Grpc;

/// <summary>Where <see cref="GrpcServerHost"/> listens and the settings every service on it shares.</summary>
public sealed record GrpcServerHostOptions
{
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>0 picks a free port; read it back from <see cref="GrpcServerHost.Port"/>.</summary>
    public int Port { get; init; }

    /// <summary>Serve TLS (HTTP/2 through ALPN) with this certificate; null serves cleartext h2c (prior knowledge).</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>grpc-dotnet's MaxReceiveMessageSize: a larger request message is RESOURCE_EXHAUSTED before it is read
    /// (4 MiB, grpc's default); a service may set its own (<see cref="GrpcService.Of{T}"/>).</summary>
    public int? MaxReceiveMessageSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Put the exception's type and message in the UNKNOWN status a failing handler produces.</summary>
    public bool EnableDetailedErrors { get; init; }

    /// <summary>HTTP/2 flow-control windows. Kestrel's defaults (96 KiB / 128 KiB) cap a loopback stream well
    /// below what the transport can move; 4 MiB / 8 MiB let a 64 KiB-message stream run without stalls.</summary>
    public int Http2StreamWindowBytes { get; init; } = 4 * 1024 * 1024;
    public int Http2ConnectionWindowBytes { get; init; } = 8 * 1024 * 1024;

    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Warning;

    /// <summary>Checks behind grpc.health.v1.Health (service ""): SERVING while every one is ready.</summary>
    public IReadOnlyList<(string Name, Func<CancellationToken, Task<ReadinessResult>> Check)> HealthChecks { get; init; } = [];
}
