using System.Diagnostics;
using AgentOps.Queue;
using AgentOps.Protos.V1;
using AgentOps.Testing.Redis;
using AgentOps.Testing.Trajectories;
using StackExchange.Redis;

namespace AgentOps.Bench.Queue;

/// <summary>
/// Append and read+ack throughput of both queues for 4 KiB and 64 KiB trajectories, and the redis-benchmark
/// XADD ceiling with the same payload on the same redis-server (no AOF).
/// </summary>
public sealed class QueueBench : IBench
{
    private const int Appenders = 16;
    private const int ReadBatch = 64;

    public string Name => "queue";

    public async Task RunAsync(BenchTable table)
    {
        // Other builds share this box: print the load so the rows below can be read against it.
        var load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        table.Add(Name, "host load average (1 min) at start", load, "", $"{Environment.ProcessorCount} cores");
        await using var redis = await RedisServer.StartAsync();
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        foreach (var (bytes, count) in new[] { (4096, 20_000), (65536, 2_000) })
        {
            var label = bytes == 4096 ? "4KiB" : "64KiB";
            var trajectories = Enumerable.Range(0, count).Select(i => SizedTrajectory.Make($"b-{label}-{i}", bytes)).ToArray();

            await using (var inproc = new InProcessTrajectoryQueue())
                await Measure(table, "inprocess", label, bytes, inproc, trajectories);
            await using (var rq = new RedisTrajectoryQueue(mux, new RedisQueueOptions { RunId = $"bench-{label}-{Guid.NewGuid():N}" }))
                await Measure(table, "redis", label, bytes, rq, trajectories);

            foreach (var pipeline in new[] { 1, 16 })
            {
                var ceiling = await RedisBenchmark.XaddAsync(redis, bytes, count, clients: Appenders, pipeline: pipeline);
                table.Add(Name, $"redis-benchmark XADD {label} P={pipeline}", ceiling.RequestsPerSecond, "req/s", $"{ceiling.MiBPerSecond:F0} MiB/s, {Appenders} clients (ceiling)");
            }
            await redis.CommandAsync("FLUSHALL");
        }
    }

    private async Task Measure(BenchTable table, string kind, string label, int bytes, ITrajectoryQueue queue, Trajectory[] trajectories)
    {
        var next = -1;
        var pause0 = GC.GetTotalPauseDuration();
        var gen2 = GC.CollectionCount(2);
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Appenders).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < trajectories.Length) await queue.AppendAsync(trajectories[i]);
        })));
        var appendSeconds = sw.Elapsed.TotalSeconds;
        var appendRate = trajectories.Length / appendSeconds;
        // The in-process queue keeps every appended message on the managed heap (nothing is consumed during this phase),
        // so its appends pay for GC promotion of what they retain: the pause time says how much.
        var gcPause = (GC.GetTotalPauseDuration() - pause0).TotalSeconds;
        table.Add(Name, $"{kind} append {label}", appendRate, "traj/s",
            $"{appendRate * bytes / 1048576:F0} MiB/s, {Appenders} concurrent appenders; GC paused {gcPause:F2} s of {appendSeconds:F2} s, {GC.CollectionCount(2) - gen2} gen2");

        sw.Restart();
        var read = 0;
        while (read < trajectories.Length)
        {
            var batch = await queue.ReadAsync("bench", ReadBatch, TimeSpan.FromSeconds(5));
            if (batch.Count == 0) throw new InvalidOperationException($"{kind}: read stalled at {read} of {trajectories.Length}");
            await queue.AcknowledgeAsync(batch);
            read += batch.Count;
        }
        var readRate = read / sw.Elapsed.TotalSeconds;
        table.Add(Name, $"{kind} read+ack {label}", readRate, "traj/s", $"{readRate * bytes / 1048576:F0} MiB/s, batches of {ReadBatch}, one consumer");
    }
}
