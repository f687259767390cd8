using System.Diagnostics;
using AgentOps.Protos.V1;
using AgentOps.Workers.Agent;
using AgentOps.Workers.Environments;
using AgentOps.Workers.Environments.Arithmetic;
using AgentOps.Workers.Environments.Tools;
using AgentOps.Workers.Executor;
using AgentOps.Workers.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Bench;

/// <summary>
/// Episodes/s with the scripted policy through the real executor loop (warm pool, K concurrent episodes,
/// one fresh sandbox per episode) on each runtime, for `arithmetic` (1 cell) and `tools` (2 cells + import).
/// Env: AGENTOPS_BENCH_EPISODES (default 40), AGENTOPS_BENCH_CONCURRENCY (default 2).
/// </summary>
public sealed class ScriptedEpisodesBench : IBench
{
    public string Name => "episodes";

    public async Task RunAsync(BenchTable table)
    {
        var episodes = int.TryParse(Environment.GetEnvironmentVariable("AGENTOPS_BENCH_EPISODES"), out var e) ? e : 40;
        var k = int.TryParse(Environment.GetEnvironmentVariable("AGENTOPS_BENCH_CONCURRENCY"), out var c) ? c : 2;
        foreach (var runtime in new[] { "process", "gvisor" })
        {
            foreach (var envName in new[] { "arithmetic", "tools" })
            {
                try
                {
                    var (rate, meanEpisode, meanSandbox, success) = await MeasureAsync(runtime, envName, episodes, k);
                    var note = $"{episodes} episodes, K={k}, success {success:P0}, mean episode {meanEpisode * 1000:0} ms (cells {meanSandbox * 1000:0} ms)";
                    table.Add(Name, $"{envName}_{runtime}_episodes_per_s", rate, "ep/s", note);
                }
                catch (SandboxUnavailableException ex)
                {
                    table.Add(Name, $"{envName}_{runtime}_episodes_per_s", double.NaN, "ep/s", "runtime unusable here: " + ex.Message);
                }
            }
        }
    }

    private static async Task<(double Rate, double MeanEpisode, double MeanSandbox, double Success)> MeasureAsync(string runtime, string envName, int episodes, int k)
    {
        var dir = Directory.CreateTempSubdirectory("agentops-bench-episodes-").FullName;
        // Sandboxes run as their own uid: they must be able to reach the tools folder inside.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        try
        {
            var tools = ToolsFolder.Write(Path.Combine(dir, "tools"));
            using var sandboxMetrics = new SandboxMetrics();
            var factory = SandboxFactory.Create(new SandboxOptions(Runtime: runtime, Limits: new SandboxLimits(CellTimeoutSeconds: 30, EpisodeTimeoutSeconds: 120),
                ToolsDir: tools.Path, StateDir: Path.Combine(dir, "state")), NullLoggerFactory.Instance, sandboxMetrics);
            await using var pool = new AgentOps.Workers.Sandbox.Pool.SandboxPool(factory, k, NullLoggerFactory.Instance);
            await pool.WaitWarmAsync(k, new CancellationTokenSource(TimeSpan.FromMinutes(5)).Token);
            IEnvironment env = envName == "tools" ? new ToolsEnvironment(new EnvironmentOptions("tools")) : new ArithmeticEnvironment(new EnvironmentOptions());
            var settings = new ExecutorSettings("bench", "bench", new EnvironmentOptions(envName), new AgentOptions(), "eval", episodes, Concurrency: k);
            var runner = new EpisodeRunner(new AgentLoop(settings.Agent, TimeProvider.System), env, pool.AcquireAsync, TimeProvider.System);
            var sink = new CollectingSink();
            using var metrics = new ExecutorMetrics();
            var sw = Stopwatch.StartNew();
            var summary = await new ExecutorService(settings, runner, new ScriptedPolicy(), null, sink, metrics, NullLogger.Instance, TimeProvider.System)
                .RunAsync(new CancellationTokenSource(TimeSpan.FromMinutes(10)).Token);
            var elapsed = sw.Elapsed.TotalSeconds;
            return (summary.Episodes / elapsed, sink.Items.Average(t => t.Timings.TotalSeconds), sink.Items.Average(t => t.Timings.SandboxSeconds), summary.SuccessRate);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private sealed class CollectingSink : ITrajectorySink
    {
        public List<Trajectory> Items { get; } = [];

        public Task WriteAsync(Trajectory trajectory, EnvTask task, CancellationToken cancellationToken = default)
        {
            lock (Items) Items.Add(trajectory);
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
