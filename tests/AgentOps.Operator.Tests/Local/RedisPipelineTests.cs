using AgentOps.Operator.Local;
using AgentOps.Queue;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Operator.Tests.Local;

// The Redis half of `agentops run --redis auto`, as the supervisor starts it: a real redis-server, the real
// gateway (gRPC ingest) and two real executors (process sandboxes) with the command lines ChildSpecs builds.
// The executors use the scripted policy instead of a trainer, so every trajectory can be counted in the stream.
public sealed class RedisPipelineTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task Executors_push_through_the_gateway_into_Redis_and_every_trajectory_arrives_exactly_once()
    {
        const int episodesPerExecutor = 3;
        var manifestPath = _dir.File("run.yaml", """
            apiVersion: agentops.dev/v1alpha1
            kind: TrainingRun
            metadata: { name: pipeline, namespace: default }
            spec:
              environment: { name: arithmetic, seed: 7, eval: { tasks: 10, seed: 100000 } }
              algorithm: { name: grpo, steps: 2, groupSize: 4, warmupSteps: 0 }
              sandbox: { runtime: process, replicas: 2, warmPerReplica: 1 }
            """);
        var plan = PlanBuilder.Build(ManifestLoader.Load(manifestPath), new RunOptions(manifestPath, Redis: "auto", RunDir: Path.Combine(_dir.Path, "run")));
        Directory.CreateDirectory(Path.Combine(plan.RunDir, "redis"));
        var token = RunToken.LoadOrCreate(plan.RunDir);
        Assert.True(plan.Queue.StartRedis);
        Assert.Equal(2, plan.ExecutorMetricsPorts.Count);

        await using var supervisor = new Supervisor(plan.LogDir, RestartPolicy.Default with { MaxRestarts = 0 }, TimeProvider.System, NullLogger<Supervisor>.Instance);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var redis = ChildSpecs.Redis(plan);
        supervisor.Start(redis);
        await RedisProbe.WaitAsync(plan.Queue.RedisPort, () => !supervisor.Current("redis").HasExited, TimeSpan.FromSeconds(30), CancellationToken.None);
        supervisor.Start(ChildSpecs.Gateway(plan, token));
        await new StatusClient(http).WaitReadyAsync("gateway", $"http://127.0.0.1:{plan.GatewayMetricsPort}/readyz",
            () => !supervisor.Current("gateway").HasExited, TimeSpan.FromSeconds(120), CancellationToken.None);
        for (var i = 0; i < 2; i++)
        {
            var spec = ChildSpecs.Executor(plan, i, token);
            var args = spec.Args.ToList();
            args[args.IndexOf("--policy") + 1] = "scripted";
            args.AddRange(["--episodes", episodesPerExecutor.ToString()]);
            supervisor.Start(spec with { Args = args });
        }
        foreach (var i in new[] { 0, 1 })
            await supervisor.WaitForCompletionAsync($"executor-{i}").WaitAsync(TimeSpan.FromSeconds(150));

        await using var queue = await RedisTrajectoryQueue.ConnectAsync(plan.Queue.RedisUrl, new RedisQueueOptions { RunId = "pipeline" });
        var seen = new List<QueueEntry>();
        for (var attempt = 0; attempt < 20 && seen.Count < 2 * episodesPerExecutor; attempt++)
            seen.AddRange(await queue.ReadAsync("test", 100, TimeSpan.FromMilliseconds(500)));
        seen.AddRange(await queue.ReadAsync("test", 100, TimeSpan.FromSeconds(1)));

        Assert.Equal(2 * episodesPerExecutor, seen.Count);
        Assert.Equal(seen.Count, seen.Select(e => e.Trajectory.TrajectoryId).Distinct().Count());
        Assert.All(seen, e => Assert.Equal("arithmetic", e.Trajectory.Environment));
        Assert.All(seen, e => Assert.Equal(1, e.DeliveryCount));
        Assert.Equal(0, supervisor.Restarts("gateway"));
    }

    public void Dispose() => _dir.Dispose();
}
