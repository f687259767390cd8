using System.Diagnostics;
using AgentOps.Protos.Ingest;
using AgentOps.Protos.V1;
using AgentOps.Protos.Wire;
using AgentOps.Testing.Wire;
using Google.Protobuf;

namespace AgentOps.Bench.Wire;

/// <summary>
/// What the trainer's consumer pays to turn a stored trajectory's bytes into a Trajectory: bytes allocated and µs per
/// parse, TrajectoryWireParser against Google.Protobuf's parser (and the gateway's TrajectoryWireReader, which validates the same bytes), for the pipeline bench's 4 KiB and 64 KiB trajectories.
/// Allocation is exact on any load; the µs swing with the box's load (printed first).
/// </summary>
public sealed class TrajectoryParseBench : IBench
{
    public string Name => "parse";

    public Task RunAsync(BenchTable table)
    {
        var load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        table.Add(Name, "host load average (1 min) at start", load, "", $"{Environment.ProcessorCount} cores");
        foreach (var (size, label, count) in new[] { (4096, "4 KiB", 20_000), (65536, "64 KiB", 2_000) })
        {
            var trajectory = SampleTrajectories.Valid("parse", "bench", approxBytes: size);
            var bytes = trajectory.ToByteArray();
            if (!TrajectoryWireParser.Parse(bytes).Equals(Trajectory.Parser.ParseFrom(bytes)))
                throw new InvalidOperationException($"{label}: TrajectoryWireParser and Google.Protobuf disagree");
            var ours = Measure(() => TrajectoryWireParser.Parse(bytes), count);
            var theirs = Measure(() => Trajectory.Parser.ParseFrom(bytes), count);
            var note = $"{bytes.Length:N0}-byte trajectory of {trajectory.Segments.Sum(x => x.TokenIds.Count):N0} tokens, {count:N0} parses on one thread";
            table.Add(Name, $"{label} TrajectoryWireParser allocated", ours.Bytes, "bytes/traj", note);
            table.Add(Name, $"{label} Google.Protobuf allocated", theirs.Bytes, "bytes/traj", note);
            table.Add(Name, $"{label} TrajectoryWireParser time", ours.Micros, "µs/traj", note);
            table.Add(Name, $"{label} Google.Protobuf time", theirs.Micros, "µs/traj", note);
            // The gateway's side of the same bytes: validation straight from them, no message built.
            var read = Measure(() => TrajectoryWireReader.Read(bytes), count);
            table.Add(Name, $"{label} TrajectoryWireReader (gateway) time", read.Micros, "µs/traj", note);
        }
        return Task.CompletedTask;
    }

    private static (double Bytes, double Micros) Measure<T>(Func<T> parse, int count)
    {
        // Warm up for 0.5 s so both parsers are timed as tier-1 code (200 calls left Google.Protobuf's 4 KiB parse at 19-28 µs run to run).
        for (var warm = Stopwatch.StartNew(); warm.Elapsed < TimeSpan.FromSeconds(0.5);) parse();
        var allocated0 = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < count; i++) parse();
        var micros = sw.Elapsed.TotalMicroseconds / count;
        return ((double)(GC.GetAllocatedBytesForCurrentThread() - allocated0) / count, micros);
    }
}
