using System.Diagnostics;
using AgentOps.Protos.V1;
using AgentOps.Protos.Wire;
using AgentOps.Testing.Wire;
using Google.Protobuf;

namespace AgentOps.Bench.Wire;

/// <summary>
/// One trajectory serialized the way the Push marshaller does it (size, then write into a span), by Google.Protobuf and
/// by TrajectoryWireWriter, for the pipeline bench's 4 KiB and 64 KiB trajectories: microseconds and bytes allocated per call.
/// </summary>
public sealed class TrajectorySerializeBench : IBench
{
    private const int Rounds = 7;

    public string Name => "serialize";

    public Task RunAsync(BenchTable table)
    {
        var load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        table.Add(Name, "host load average (1 min) at start", load, "", $"{Environment.ProcessorCount} cores");
        foreach (var (bytes, label) in new[] { (4096, "4 KiB"), (65536, "64 KiB") })
        {
            var t = SampleTrajectories.Valid("serialize", "run-a", approxBytes: bytes);
            var buffer = new byte[t.CalculateSize()];
            var writer = new TrajectoryWireWriter();
            var iterations = bytes == 4096 ? 20_000 : 2_000;
            var (google, googleAlloc) = Measure(iterations, () => t.WriteTo(buffer.AsSpan(0, t.CalculateSize())));
            var (ours, oursAlloc) = Measure(iterations, () => writer.Write(t, buffer.AsSpan(0, writer.Size(t))));
            table.Add(Name, $"Google.Protobuf {label}", google, "us/call", $"CalculateSize + WriteTo(span), median of {Rounds} x {iterations:N0}, {googleAlloc:F0} B/call");
            table.Add(Name, $"TrajectoryWireWriter {label}", ours, "us/call", $"Size + Write, {google / ours:F1}x faster, {oursAlloc:F0} B/call");
        }
        return Task.CompletedTask;
    }

    /// <summary>Median microseconds per call over <see cref="Rounds"/> rounds after a warm-up, and bytes allocated per call.</summary>
    private static (double Micros, double AllocatedBytes) Measure(int iterations, Action serialize)
    {
        // warm up for a second: the JIT's tier-1 code (with PGO, which keeps foreach enumerators off the heap) replaces tier 0
        for (var warm = Stopwatch.StartNew(); warm.Elapsed < TimeSpan.FromSeconds(1);) serialize();
        var rounds = new double[Rounds];
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var r = 0; r < Rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++) serialize();
            rounds[r] = sw.Elapsed.TotalMicroseconds / iterations;
        }
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Array.Sort(rounds);
        return (rounds[Rounds / 2], (double)allocated / (Rounds * iterations));
    }
}
