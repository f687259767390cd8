using System.Net;

namespace AgentOps.Telemetry;

/// <summary>Where <see cref="MetricsServer"/> listens and how long a readiness check may take.</summary>
public sealed record MetricsServerOptions
{
    /// <summary>TCP port; 0 picks a free one (read it back from <see cref="MetricsServer.Port"/>).</summary>
    public int Port { get; init; }

    /// <summary>Listen address; <see cref="IPAddress.Any"/> so a Prometheus in the cluster can scrape the pod.</summary>
    public IPAddress Address { get; init; } = IPAddress.Any;

    /// <summary>A readiness check that has not answered by then counts as not ready.</summary>
    public TimeSpan ReadinessTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
