using System.Diagnostics;
using AgentOps.Workers.Sandbox;
using AgentOps.Workers.Sandbox.Pool;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Bench.Sandbox;

/// <summary>
/// Sandbox start-up and cell throughput on this machine, for both runtimes: cold start (launch to the
/// driver's ready banner), warm acquire from the pool, trivial-cell latency p50/p99 in one warm
/// interpreter, cells/s with N sandboxes running cells in parallel, and the machine's CPU time per recycled
/// episode (what bounds episodes/s on a shared 2-core box). $AGENTOPS_BENCH_RUNTIMES picks the runtimes
/// (comma-separated; default process,gvisor).
/// </summary>
public sealed class SandboxBench : IBench
{
    private const int ColdStarts = 5;
    private const int LatencyCells = 200;
    private static readonly TimeSpan ThroughputWindow = TimeSpan.FromSeconds(5);

    public string Name => "sandbox";

    public async Task RunAsync(BenchTable table)
    {
        var runtimes = (Environment.GetEnvironmentVariable("AGENTOPS_BENCH_RUNTIMES") ?? "process,gvisor")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var runtime in runtimes)
        {
            var state = Directory.CreateTempSubdirectory("agentops-bench-sbx-").FullName;
            using var metrics = new SandboxMetrics();
            try
            {
                var factory = SandboxFactory.Create(new SandboxOptions(Runtime: runtime, StateDir: state), NullLoggerFactory.Instance, metrics);
                await ColdStartAsync(table, factory);
                await WarmAcquireAsync(table, factory);
                await CellLatencyAsync(table, factory);
                foreach (var n in new[] { 1, 2, 4 }) await ThroughputAsync(table, factory, n);
                await RecycledEpisodesAsync(table, factory, metrics);
                await FreshEpisodesAsync(table, factory);
            }
            finally
            {
                Directory.Delete(state, recursive: true);
            }
        }
    }

    private static async Task ColdStartAsync(BenchTable table, SandboxFactory factory)
    {
        var times = new List<double>();
        await (await factory.StartAsync()).DisposeAsync(); // first start pays one-time setup (ldd, driver file)
        for (var i = 0; i < ColdStarts; i++)
        {
            var sw = Stopwatch.StartNew();
            var sb = await factory.StartAsync();
            times.Add(sw.Elapsed.TotalMilliseconds);
            await sb.DisposeAsync();
        }
        table.Add("sandbox", $"{factory.Runtime} cold start p50", Percentile(times, 50), "ms", $"launch to ready, {ColdStarts} starts");
    }

    private static async Task WarmAcquireAsync(BenchTable table, SandboxFactory factory)
    {
        await using var pool = new SandboxPool(factory, warm: 2, NullLoggerFactory.Instance);
        var times = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            await pool.WaitWarmAsync(1);
            var sw = Stopwatch.StartNew();
            await using var sb = await pool.AcquireAsync();
            await sb.ExecuteAsync("1 + 1");
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        table.Add("sandbox", $"{factory.Runtime} warm acquire + first cell p50", Percentile(times, 50), "ms", "from a SandboxPool with 2 warm");
    }

    private static async Task CellLatencyAsync(BenchTable table, SandboxFactory factory)
    {
        await using var sb = await factory.StartAsync();
        for (var i = 0; i < 10; i++) await sb.ExecuteAsync("1 + 1");
        var times = new List<double>();
        for (var i = 0; i < LatencyCells; i++)
        {
            var r = await sb.ExecuteAsync("x = 1 + 1\nx");
            if (!r.Ok) throw new InvalidOperationException($"trivial cell failed: {r.Error}");
            times.Add(r.Duration.TotalMilliseconds);
        }
        table.Add("sandbox", $"{factory.Runtime} trivial cell p50", Percentile(times, 50), "ms", $"{LatencyCells} cells, one warm interpreter");
        table.Add("sandbox", $"{factory.Runtime} trivial cell p99", Percentile(times, 99), "ms", $"{LatencyCells} cells, one warm interpreter");
    }

    private static async Task ThroughputAsync(BenchTable table, SandboxFactory factory, int parallel)
    {
        var sandboxes = await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => factory.StartAsync()));
        try
        {
            var stop = Stopwatch.StartNew();
            var counts = await Task.WhenAll(sandboxes.Select(async sb =>
            {
                var n = 0;
                while (stop.Elapsed < ThroughputWindow)
                {
                    var r = await sb.ExecuteAsync("sum(i * i for i in range(100))");
                    if (!r.Ok) throw new InvalidOperationException($"cell failed: {r.Error}");
                    n++;
                }
                return n;
            }));
            table.Add("sandbox", $"{factory.Runtime} cells/s, {parallel} parallel", counts.Sum() / stop.Elapsed.TotalSeconds, "cells/s",
                $"{Environment.ProcessorCount} cores, {ThroughputWindow.TotalSeconds:0} s window");
        }
        finally
        {
            foreach (var sb in sandboxes) await sb.DisposeAsync();
        }
    }

    /// <summary>Episodes through the pool as the executor runs them (acquire, 2 trivial cells, dispose),
    /// with recycling: each returned sandbox gets a fresh interpreter in the same container.</summary>
    private static async Task RecycledEpisodesAsync(BenchTable table, SandboxFactory factory, SandboxMetrics metrics)
    {
        var recycles = new List<double>();
        var soft = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (ReferenceEquals(i.Meter, metrics.Meter) && i.Name == "agentops_sandbox_recycle_seconds") l.EnableMeasurementEvents(i);
        };
        listener.SetMeasurementEventCallback<double>((_, v, tags, _) =>
        {
            var isSoft = false;
            foreach (var t in tags) isSoft |= t.Key == "kind" && (string?)t.Value == "soft";
            lock (recycles)
            {
                recycles.Add(v * 1000);
                if (isSoft) soft++;
            }
        });
        listener.Start();

        await using var pool = new SandboxPool(factory, warm: 1, NullLoggerFactory.Instance);
        await pool.WaitWarmAsync(1);
        for (var i = 0; i < 5; i++) await EpisodeAsync(pool); // let the pool settle (the refill start is not counted)
        await pool.WaitRecycledAsync();
        lock (recycles) { recycles.Clear(); soft = 0; }
        var episodes = 0;
        var cpuBefore = MachineCpuSeconds();
        var treeBefore = ProcessTreeCpuSeconds();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < ThroughputWindow * 2)
        {
            await EpisodeAsync(pool);
            episodes++;
        }
        var rate = episodes / sw.Elapsed.TotalSeconds;
        await pool.WaitRecycledAsync();
        var cpu = MachineCpuSeconds() - cpuBefore;
        var tree = ProcessTreeCpuSeconds() - treeBefore;
        table.Add("sandbox", $"{factory.Runtime} episodes/s via pool with recycle", rate, "episodes/s",
            $"acquire, 2 trivial cells, dispose; 1 executor loop, {episodes} episodes, warm 1");
        table.Add("sandbox", $"{factory.Runtime} CPU per recycled episode", cpu / episodes * 1000, "ms",
            "whole machine's busy time (/proc/stat) over the loop above, sandbox + sentry + bench");
        table.Add("sandbox", $"{factory.Runtime} own CPU per recycled episode", tree / episodes * 1000, "ms",
            "the bench and the processes it started (runsc sandbox, gofer; /proc/PID/stat): unlike the row above, not inflated by other work on the box");
        double[] r;
        int softCount;
        lock (recycles) { r = recycles.ToArray(); softCount = soft; }
        table.Add("sandbox", $"{factory.Runtime} recycle p50", Percentile(r.ToList(), 50), "ms", $"{softCount} of {r.Length} recycles soft (verified in-process), the rest forks");
        table.Add("sandbox", $"{factory.Runtime} recycle p99", Percentile(r.ToList(), 99), "ms", $"{softCount} of {r.Length} recycles soft (verified in-process), the rest forks");
    }

    /// <summary>The same loop with maxEpisodes 1 (a new sandbox per episode, as before recycle): the baseline.</summary>
    private static async Task FreshEpisodesAsync(BenchTable table, SandboxFactory factory)
    {
        await using var pool = new SandboxPool(factory, warm: 1, NullLoggerFactory.Instance, maxEpisodes: 1);
        await pool.WaitWarmAsync(1);
        var episodes = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < ThroughputWindow * 2)
        {
            await EpisodeAsync(pool);
            episodes++;
        }
        table.Add("sandbox", $"{factory.Runtime} episodes/s via pool, no recycle", episodes / sw.Elapsed.TotalSeconds, "episodes/s",
            $"same loop with maxEpisodes 1 (new sandbox per episode), {episodes} episodes, warm 1");
    }

    /// <summary>CPU seconds (user + system, own and reaped children's) of this process and every process
    /// below it, from /proc/PID/stat: the sandboxes' share of the machine, whatever else runs on it.</summary>
    private static double ProcessTreeCpuSeconds()
    {
        var stats = new Dictionary<int, (int Parent, long Ticks)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var text = File.ReadAllText(Path.Combine(dir, "stat"));
                var f = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                long T(int i) => long.Parse(f[i - 3], System.Globalization.CultureInfo.InvariantCulture); // field i of proc(5)
                stats[pid] = (int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture), T(14) + T(15) + T(16) + T(17));
            }
            catch (IOException) { } // exited meanwhile
        }
        var self = Environment.ProcessId;
        bool Below(int pid)
        {
            for (var hops = 0; hops < 64 && pid > 1; hops++)
            {
                if (pid == self) return true;
                if (!stats.TryGetValue(pid, out var s)) return false;
                pid = s.Parent;
            }
            return false;
        }
        return stats.Where(kv => Below(kv.Key)).Sum(kv => kv.Value.Ticks) / 100.0; // USER_HZ is 100 on Linux
    }

    /// <summary>Busy CPU seconds of the whole machine so far (user + nice + system + irq + softirq, /proc/stat).</summary>
    private static double MachineCpuSeconds()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long T(int i) => long.Parse(f[i], System.Globalization.CultureInfo.InvariantCulture);
        return (T(1) + T(2) + T(3) + T(6) + T(7)) / 100.0; // USER_HZ is 100 on Linux
    }

    private static async Task EpisodeAsync(SandboxPool pool)
    {
        await using var sb = await pool.AcquireAsync();
        for (var c = 0; c < 2; c++)
        {
            var r = await sb.ExecuteAsync("x = 1 + 1\nx");
            if (!r.Ok) throw new InvalidOperationException($"trivial cell failed: {r.Error}");
        }
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
