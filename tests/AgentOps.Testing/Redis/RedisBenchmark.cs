using System.Diagnostics;
using System.Globalization;

namespace AgentOps.Testing.Redis;

/// <summary>What <c>redis-benchmark</c> measured: requests per second and the payload throughput it implies, and the
/// CPU the run took in redis-server (INFO cpu) and in the redis-benchmark client (the shell's <c>times</c>).</summary>
public sealed record RedisBenchmarkResult(double RequestsPerSecond, int PayloadBytes, int Clients, int Pipeline, int Requests,
    double ServerCpuSeconds, double ClientCpuSeconds)
{
    public double MiBPerSecond => RequestsPerSecond * PayloadBytes / (1024.0 * 1024.0);

    /// <summary>redis-server CPU per request, microseconds.</summary>
    public double ServerCpuMicros => ServerCpuSeconds * 1e6 / Requests;

    /// <summary>redis-benchmark's own CPU per request, microseconds.</summary>
    public double ClientCpuMicros => ClientCpuSeconds * 1e6 / Requests;
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
        // bash runs it and then `times`, whose second line is the CPU of its children (redis-benchmark): user and sys.
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     "-c", "redis-benchmark \"$@\" && times", "redis-benchmark",
                     "-h", "127.0.0.1", "-p", server.Port.ToString(CultureInfo.InvariantCulture),
                     "-n", requests.ToString(CultureInfo.InvariantCulture), "-c", clients.ToString(CultureInfo.InvariantCulture),
                     "-P", pipeline.ToString(CultureInfo.InvariantCulture), "--csv",
                     "XADD", key, "MAXLEN", "~", "100000", "*", "p", new string('x', payloadBytes),
                 })
            psi.ArgumentList.Add(a);
        var serverCpu0 = await server.CpuSecondsAsync();
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
        var serverCpu = await server.CpuSecondsAsync() - serverCpu0;
        var children = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var clientCpu = children.Length == 2 ? ShellSeconds(children[0]) + ShellSeconds(children[1])
            : throw new InvalidOperationException($"no `times` line after redis-benchmark: '{output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last()}'");
        await server.CommandAsync("DEL", key);
        return new RedisBenchmarkResult(rps, payloadBytes, clients, pipeline, requests, serverCpu, clientCpu);
    }

    /// <summary>bash's <c>times</c> format, e.g. "1m2.345s".</summary>
    private static double ShellSeconds(string value)
    {
        var m = value.IndexOf('m', StringComparison.Ordinal);
        return double.Parse(value[..m], CultureInfo.InvariantCulture) * 60 + double.Parse(value[(m + 1)..].TrimEnd('s'), CultureInfo.InvariantCulture);
    }
}
