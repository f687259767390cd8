using System.Diagnostics;
using System.Globalization;

namespace AgentOps.Testing.Redis;

/// <summary>What <c>redis-benchmark</c> measured: requests per second and the payload throughput it implies.</summary>
public sealed record RedisBenchmarkResult(double RequestsPerSecond, int PayloadBytes, int Clients, int Pipeline)
{
    public double MiBPerSecond => RequestsPerSecond * PayloadBytes / (1024.0 * 1024.0);
}

/// <summary>
/// The ceiling for the trajectory pipeline: Redis's own <c>redis-benchmark</c> doing
/// <c>XADD KEY MAXLEN ~ 100000 * p PAYLOAD</c> with a payload of the same size as the trajectories (issue 3:
/// "in the same run redis-benchmark XADD with the same payload as the ceiling; print the ratio").
/// </summary>
public static class RedisBenchmark
{
    public static async Task<RedisBenchmarkResult> XaddAsync(RedisServer server, int payloadBytes, int requests, int clients = 16, int pipeline = 1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadBytes, 128 * 1024 - 1, nameof(payloadBytes)); // one argv string is at most 128 KiB on Linux
        var key = $"agentops:{{bench}}:ceiling-{Guid.NewGuid():N}";
        var psi = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     "-h", "127.0.0.1", "-p", server.Port.ToString(CultureInfo.InvariantCulture),
                     "-n", requests.ToString(CultureInfo.InvariantCulture), "-c", clients.ToString(CultureInfo.InvariantCulture),
                     "-P", pipeline.ToString(CultureInfo.InvariantCulture), "--csv",
                     "XADD", key, "MAXLEN", "~", "100000", "*", "p", new string('x', payloadBytes),
                 })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start redis-benchmark");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(cts.Token);
        var output = await stdout;
        // --csv: a header, then "<command>","rps","avg_latency_ms",min,p50,p95,p99,max — the command echoes the payload.
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith("\"XADD", StringComparison.Ordinal));
        if (p.ExitCode != 0 || line is null)
            throw new InvalidOperationException($"redis-benchmark exit {p.ExitCode}: {await stderr} {(output.Length > 500 ? output[..500] : output)}");
        var fields = line.Split(',');
        var rps = double.Parse(fields[^7].Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture);
        await server.CommandAsync("DEL", key);
        return new RedisBenchmarkResult(rps, payloadBytes, clients, pipeline);
    }
}
