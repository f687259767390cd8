using System.Diagnostics;
using System.Globalization;
using AgentOps.Protos.Grpc;
using AgentOps.Protos.Ingest;
using AgentOps.Protos.Queue;
using AgentOps.Protos.V1;
using AgentOps.Testing.Redis;
using AgentOps.Testing.Wire;
using AgentOps.Workers.Pipeline;

namespace AgentOps.Bench.Pipeline;

/// <summary>
/// Issue 3 benchmark: trajectories/s end to end — N concurrent pushers → gateway (ingest service on our gRPC
/// host) → Redis stream → TrajectoryConsumer — against the ceiling of `redis-benchmark` XADD with the same
/// payload on the same redis-server, in the same run. Our append is heavier than a bare XADD (a Lua script:
/// GET id key, XADD MAXLEN ~, SET id key EX), so the ratio is conservative.
/// </summary>
public sealed class PipelineBench : IBench
{
    private const int Pushers = 4;
    private const string Run = "bench";
    private const string Token = "bench-token";

    public string Name => "pipeline";

    public async Task RunAsync(BenchTable table)
    {
        // AGENTOPS_BENCH_SIZES=4 (KiB, comma-separated) runs one size only: the box is shared, keep runs short.
        var sizes = (Environment.GetEnvironmentVariable("AGENTOPS_BENCH_SIZES") ?? "4,64").Split(',', StringSplitOptions.RemoveEmptyEntries);
        foreach (var (size, count) in new[] { (4 * 1024, 12_000), (64 * 1024, 2_000) })
        {
            if (!sizes.Contains((size / 1024).ToString(CultureInfo.InvariantCulture))) continue;
            await using var redis = await RedisServer.StartAsync();
            var template = SampleTrajectories.Valid("template", Run, approxBytes: size);
            var label = $"{size / 1024} KiB";
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var (e2e, seconds) = await EndToEndAsync(() => Redis(redis), template, count);
            var cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds / count;
            var ceiling = await RedisBenchmarkXaddAsync(redis, template.CalculateSize(), count);
            table.Add(Name, $"e2e {label} trajectories", e2e, "traj/s", $"{count:N0} via {Pushers} pushers → gateway → redis → consumer in {seconds:F1} s");
            table.Add(Name, $"e2e {label} bytes", e2e * template.CalculateSize() / (1024 * 1024), "MiB/s", "serialized trajectory bytes");
            table.Add(Name, $"e2e {label} cpu", cpuUs, "µs/traj", "pushers + gateway + consumer CPU per trajectory (redis-server not included)");
            table.Add(Name, $"redis-benchmark XADD {label}", ceiling, "ops/s", "ceiling: -c 50, same payload size, same redis-server");
            table.Add(Name, $"ratio {label}", e2e / ceiling, "", "e2e / ceiling (aim >= 0.5)");
            var cpu1 = Process.GetCurrentProcess().TotalProcessorTime;
            var (inProcess, inProcessSeconds) = await EndToEndAsync(() => Task.FromResult<ITrajectoryQueue>(new InProcessTrajectoryQueue(new InProcessQueueOptions { MaxLength = 1_000_000 })), template, count);
            var inProcessCpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu1).TotalMicroseconds / count;
            table.Add(Name, $"e2e {label} no redis", inProcess, "traj/s", $"same path into InProcessTrajectoryQueue in {inProcessSeconds:F1} s: gRPC + ingest + pusher + consumer only");
            table.Add(Name, $"e2e {label} no redis cpu", inProcessCpuUs, "µs/traj", "CPU per trajectory without the Redis client");
        }
    }

    private static async Task<ITrajectoryQueue> Redis(RedisServer redis) =>
        await RedisTrajectoryQueue.ConnectAsync(redis.ConnectionString, new RedisQueueOptions { RunId = Run, MaxLength = 1_000_000 });

    /// <summary>The gateway and the consumer each get their own connection (as two processes would), unless in-process.</summary>
    private static async Task<(double PerSecond, double Seconds)> EndToEndAsync(Func<Task<ITrajectoryQueue>> connect, Trajectory template, int count)
    {
        await using var gatewayQueue = await connect();
        var consumerQueue = gatewayQueue is InProcessTrajectoryQueue ? gatewayQueue : await connect();
        var service = new TrajectoryIngestService(gatewayQueue, new IngestOptions { RunId = Run, BearerToken = Token, MaxBacklog = 0, MaxTrajectoryBytes = 1 << 20 });
        await using var host = await GrpcServerHost.StartAsync(new GrpcServerHostOptions { Service = new GrpcServiceOptions { MaxReceiveMessageSize = 2 << 20 } },
            [TrajectoryIngest.BindService(service)]);

        long consumed = 0;
        var allIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = new TrajectoryConsumer(consumerQueue, (batch, _) =>
        {
            if (Interlocked.Add(ref consumed, batch.Count) >= count) allIn.TrySetResult();
            return ValueTask.CompletedTask;
        }, new TrajectoryConsumerOptions { ConsumerName = "bench", BatchSize = 256, ReadWait = TimeSpan.FromMilliseconds(100) });
        using var stop = new CancellationTokenSource();
        var consuming = consumer.RunAsync(stop.Token);

        var perPusher = count / Pushers;
        var batches = Enumerable.Range(0, Pushers).Select(p => Enumerable.Range(0, perPusher).Select(i =>
        {
            var t = template.Clone();
            t.TrajectoryId = $"b-{p}-{i}";
            return t;
        }).ToList()).ToList();

        var sw = Stopwatch.StartNew();
        var pushing = batches.Select(async batch =>
        {
            using var channel = GrpcChannel.ForAddress(host.Address);
            await using var pusher = new TrajectoryPusher(new TrajectoryIngest.TrajectoryIngestClient(channel),
                new PusherOptions { BearerToken = Token, MaxBatch = 64, BufferCapacity = 256 });
            foreach (var t in batch) await pusher.EnqueueAsync(t);
            await pusher.CompleteAsync();
        }).ToList();
        await Task.WhenAll(pushing);
        await allIn.Task.WaitAsync(TimeSpan.FromMinutes(5));
        var seconds = sw.Elapsed.TotalSeconds;
        stop.Cancel();
        await consuming;
        var total = perPusher * Pushers;
        if (!ReferenceEquals(consumerQueue, gatewayQueue)) await consumerQueue.DisposeAsync();
        if (Interlocked.Read(ref consumed) != total)
            throw new InvalidOperationException($"consumer saw {consumed} trajectories, {total} were pushed");
        return (total / seconds, seconds);
    }

    /// <summary>`redis-benchmark XADD` with a payload of the same size: the store's own ceiling.</summary>
    private static async Task<double> RedisBenchmarkXaddAsync(RedisServer redis, int payloadBytes, int count)
    {
        var psi = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-h", "127.0.0.1", "-p", redis.Port.ToString(CultureInfo.InvariantCulture), "-n", Math.Max(count, 5000).ToString(CultureInfo.InvariantCulture),
                     "-c", "50", "--csv", "XADD", "bench:ceiling", "MAXLEN", "~", "1000000", "*", "p", new string('x', payloadBytes) })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start redis-benchmark");
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        var fields = last.Split(',');
        if (p.ExitCode != 0 || fields.Length < 2 || !double.TryParse(fields[1].Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture, out var rps))
            throw new InvalidOperationException($"redis-benchmark exited {p.ExitCode}: '{last}' {stderr}");
        return rps;
    }
}
