using System.Diagnostics;
using System.Globalization;
using AgentOps.Telemetry.Grpc;
using AgentOps.Testing.Interop;
using Google.Protobuf;
using Grpc.Net.Client;

namespace AgentOps.Bench.Grpc;

/// <summary>
/// gRPC client streaming on loopback, grpc-dotnet (Grpc.Net.Client → Grpc.AspNetCore on Kestrel) against the hand-written
/// transport it replaced, in the same run: the old one is this bench as it was at <see cref="OldCommit"/>, built into a
/// git worktree under /tmp and run as a child process, alternating with the new one (<see cref="Pairs"/> pairs) so both
/// see the same load. One stream per size, written as fast as the writer's backpressure allows for a fixed time; CPU is
/// client + server (one process each way).
/// </summary>
public sealed class GrpcClientStreamingBench : IBench
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(4);
    private static readonly int[] Sizes = [1024, 64 * 1024];

    /// <summary>AGENTOPS_BENCH_OLD_COMMIT: the commit whose hand-written transport is the baseline (the one before grpc-dotnet).</summary>
    private static readonly string OldCommit = Environment.GetEnvironmentVariable("AGENTOPS_BENCH_OLD_COMMIT") ?? "a19baae";

    private static readonly int Pairs = int.TryParse(Environment.GetEnvironmentVariable("AGENTOPS_BENCH_TRIALS"), out var n) && n > 0 ? n : 2;

    public string Name => "grpc";

    public async Task RunAsync(BenchTable table)
    {
        var load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        table.Add(Name, "host load average (1 min) at start", load, "", $"{Environment.ProcessorCount} cores");
        var oldBench = await OldBenchAsync(table);
        var results = new Dictionary<(string Stack, int Size), List<(double Rate, double Cpu)>>();
        await using var host = await GrpcServerHost.StartAsync(new GrpcServerHostOptions(), [GrpcService.Of(new InteropService())]);
        using var channel = GrpcChannel.ForAddress(host.Address);
        var client = new Interop.InteropClient(channel);
        for (var pair = 0; pair < Pairs; pair++)
        {
            if (oldBench is not null)
                foreach (var (size, rate, cpu) in await RunOldAsync(oldBench))
                    Add(results, "hand-written", size, rate, cpu);
            foreach (var size in Sizes)
            {
                await MeasureAsync(client, size, TimeSpan.FromSeconds(1)); // warm-up: JIT, connection, windows
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var (count, seconds) = await MeasureAsync(client, size, Duration);
                Add(results, "grpc-dotnet", size, count / seconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds / count);
            }
        }
        foreach (var size in Sizes)
        {
            var label = $"{size / 1024} KiB";
            foreach (var stack in new[] { "grpc-dotnet", "hand-written" })
            {
                if (!results.TryGetValue((stack, size), out var runs)) continue;
                var where = stack == "grpc-dotnet" ? "Grpc.Net.Client → Grpc.AspNetCore" : $"protos/Grpc at {OldCommit}";
                table.Add(Name, $"client stream {label} {stack} msgs", runs.Average(r => r.Rate), "msg/s", $"mean of {runs.Count} runs ({string.Join(", ", runs.Select(r => r.Rate.ToString("N0", CultureInfo.InvariantCulture)))}), one stream, loopback, {where}");
                table.Add(Name, $"client stream {label} {stack} cpu", runs.Average(r => r.Cpu), "µs/msg", $"client + server CPU per message ({string.Join(", ", runs.Select(r => r.Cpu.ToString("F1", CultureInfo.InvariantCulture)))})");
            }
            if (results.TryGetValue(("hand-written", size), out var old) && results.TryGetValue(("grpc-dotnet", size), out var now))
                table.Add(Name, $"client stream {label} cpu new / old", now.Average(r => r.Cpu) / old.Average(r => r.Cpu), "", "grpc-dotnet's CPU per message over the hand-written transport's, same run, alternating");
        }
    }

    private static void Add(Dictionary<(string, int), List<(double, double)>> results, string stack, int size, double rate, double cpu)
    {
        if (!results.TryGetValue((stack, size), out var list)) results[(stack, size)] = list = [];
        list.Add((rate, cpu));
    }

    /// <summary>The old bench's dll, built from <see cref="OldCommit"/> in /tmp/agentops-bench-OLDCOMMIT (once; later runs reuse it).</summary>
    private static async Task<string?> OldBenchAsync(BenchTable table)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"agentops-bench-{OldCommit}");
        var dll = Path.Combine(dir, "tests/AgentOps.Bench/bin/Release/net10.0/AgentOps.Bench.dll");
        if (File.Exists(dll)) return dll;
        try
        {
            if (!Directory.Exists(dir)) await RunAsync("git", ["worktree", "add", "--detach", dir, OldCommit], Directory.GetCurrentDirectory());
            // The old bench references the trainer, whose native shim is not needed for the grpc bench.
            await RunAsync("dotnet", ["build", "tests/AgentOps.Bench/AgentOps.Bench.csproj", "-c", "Release", "-nologo", "-clp:ErrorsOnly", "-p:AGENTOPS_SKIP_NATIVE=1"], dir);
            return dll;
        }
        catch (Exception e)
        {
            table.Add("grpc", "hand-written baseline unavailable", double.NaN, "", $"could not build {OldCommit} in {dir}: {e.Message}");
            return null;
        }
    }

    /// <summary>One run of the old bench's "grpc" rows: (size, msg/s, µs CPU per message) per size.</summary>
    private static async Task<List<(int Size, double Rate, double Cpu)>> RunOldAsync(string dll)
    {
        var output = await RunAsync("dotnet", [dll, "grpc"], Directory.GetCurrentDirectory());
        var rows = output.Split('\n').Select(l => l.Split('|', StringSplitOptions.TrimEntries)).Where(c => c.Length > 5 && c[1] == "grpc").ToList();
        double Value(string metric) => double.Parse(rows.Single(c => c[2] == metric)[3], NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        return Sizes.Select(s => (s, Value($"client stream {s / 1024} KiB msgs"), Value($"client stream {s / 1024} KiB cpu"))).ToList();
    }

    private static async Task<string> RunAsync(string file, IEnumerable<string> args, string workingDirectory)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', psi.ArgumentList)} exited {p.ExitCode}: {(await stderr + await stdout)[^Math.Min(2000, (await stderr + await stdout).Length)..]}");
        return await stdout;
    }

    private static async Task<(long Count, double Seconds)> MeasureAsync(Interop.InteropClient client, int size, TimeSpan duration)
    {
        var body = ByteString.CopyFrom(new byte[size]);
        using var call = client.Collect();
        var sw = Stopwatch.StartNew();
        long n = 0;
        while (sw.Elapsed < duration)
        {
            for (var i = 0; i < 256; i++)
                await call.RequestStream.WriteAsync(new Payload { Index = n++, Body = body });
        }
        await call.RequestStream.CompleteAsync();
        var summary = await call;
        var seconds = sw.Elapsed.TotalSeconds;
        if (summary.Count != n || !summary.InOrder)
            throw new InvalidOperationException($"server counted {summary.Count} messages (in order: {summary.InOrder}), client sent {n}");
        return (n, seconds);
    }
}
