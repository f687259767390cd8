using System.Diagnostics.Metrics;
using AgentOps.Telemetry;

namespace AgentOps.Telemetry.Tests;

/// <summary>A meter of its own per test (unique name) and a collector that sees only it, so tests run in parallel.</summary>
internal sealed class TestMeter : IDisposable
{
    public TestMeter()
    {
        Meter = new Meter($"AgentOps.Test.{Guid.NewGuid():N}");
        Collector = new MetricsCollector(m => ReferenceEquals(m, Meter));
    }

    public Meter Meter { get; }
    public MetricsCollector Collector { get; }

    public void Dispose()
    {
        Collector.Dispose();
        Meter.Dispose();
    }
}
