using System.Diagnostics;
using AgentOps.Protos.Grpc;
using AgentOps.Protos.Testing;
using Google.Protobuf;

namespace AgentOps.Bench.Grpc;

/// <summary>
/// gRPC client streaming on loopback through our transport (HttpClient HTTP/2 → Kestrel HTTP/2):
/// one stream per size, written as fast as the writer's backpressure allows for a fixed time.
/// </summary>
public sealed class GrpcClientStreamingBench : IBench
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(4);

    public string Name => "grpc";

    public async Task RunAsync(BenchTable table)
    {
        await using var host = await GrpcServerHost.StartAsync(new GrpcServerHostOptions(), [Interop.BindReferenceService()]);
        using var channel = GrpcChannel.ForAddress(host.Address);
        var client = new Interop.InteropClient(channel);
        foreach (var size in new[] { 1024, 64 * 1024 })
        {
            await MeasureAsync(client, size, TimeSpan.FromSeconds(1)); // warm-up: JIT, connection, windows
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var (count, seconds) = await MeasureAsync(client, size, Duration);
            var cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds / count;
            var label = size >= 1024 * 1024 ? $"{size / (1024 * 1024)} MiB" : $"{size / 1024} KiB";
            table.Add(Name, $"client stream {label} msgs", count / seconds, "msg/s", $"{count:N0} messages in {seconds:F1} s, one stream, loopback");
            table.Add(Name, $"client stream {label} bytes", count * (double)size / seconds / (1024 * 1024), "MiB/s", "payload bytes only");
            table.Add(Name, $"client stream {label} cpu", cpuUs, "µs/msg", "client + server CPU time per message (load-independent)");
        }
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
