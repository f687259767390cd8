using Grpc.Core;
using Grpc.Net.Client;
using AgentOps.Telemetry.Grpc;
using AgentOps.Queue;
using AgentOps.Protos.V1;
using AgentOps.Testing;
using AgentOps.Testing.Redis;
using AgentOps.Testing.Wire;
using AgentOps.Workers.Pipeline;

namespace AgentOps.Gateway.Tests;

/// <summary>Issue 3 "Faults": the gateway dies mid-stream; the pusher retries; every trajectory ends up stored exactly once.</summary>
public sealed class GatewayFaultTests
{
    private const string Run = "fault-run";
    private const string Token = "fault-token";

    /// <param name="approxBytes">Small (2 KiB: many per PushBatches message) and large (24 KiB) trajectories, both appended by
    /// MULTI / XADD / EXEC (RedisQueueOptions.ScriptAppendMaxBytes 0, the gateway's default).</param>
    [Theory]
    [InlineData(2048, 3000)]
    [InlineData(24 * 1024, 800)]
    public async Task Kill_9_of_the_gateway_mid_stream_then_restart_stores_every_trajectory_exactly_once(int approxBytes, int total)
    {
        await using var redis = await RedisServer.StartAsync();
        using var dir = new TempDirectory("agentops-gw-fault");
        var tokenFile = Path.Combine(dir.Path, "token");
        await File.WriteAllTextAsync(tokenFile, Token);
        using var gateway = await GatewayProcess.StartAsync(redis.Endpoint, Run, tokenFile);
        await using var queue = await RedisTrajectoryQueue.ConnectAsync(redis.ConnectionString, new RedisQueueOptions { RunId = Run });

        using var channel = GrpcChannel.ForAddress(gateway.Address);
        await using var pusher = new TrajectoryPusher(channel, new PusherOptions
        {
            BearerToken = Token,
            MaxBatch = 50,
            BufferCapacity = 100,
            InitialBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(500),
        });
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < total; i++) await pusher.EnqueueAsync(SampleTrajectories.Valid($"f-{i:D5}", Run, approxBytes: approxBytes, seed: i));
        });

        // Wait until part of the run is stored, then crash the gateway while streams are in flight.
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while ((await queue.GetStatsAsync()).Length < total / 10)
        {
            Assert.True(DateTime.UtcNow < deadline, $"gateway stored too little within 120 s: {gateway.OutputTail}");
            await Task.Delay(20);
        }
        gateway.Kill();
        var atKill = (await queue.GetStatsAsync()).Length;
        Assert.True(atKill < total, $"all {total} were stored before the kill; the test did not crash a stream");
        await Task.Delay(500);
        await gateway.RestartAsync();

        await producer.WaitAsync(TimeSpan.FromSeconds(180));
        await pusher.FlushAsync(new CancellationTokenSource(TimeSpan.FromSeconds(180)).Token);
        Assert.Equal(0, pusher.Invalid);

        var ids = new List<string>();
        while (true)
        {
            var entries = await queue.ReadAsync("check", 500, TimeSpan.FromMilliseconds(200));
            if (entries.Count == 0) break;
            ids.AddRange(entries.Select(e => e.Trajectory.TrajectoryId));
        }
        Assert.Equal(total, ids.Count);
        Assert.Equal(Enumerable.Range(0, total).Select(i => $"f-{i:D5}"), ids.Order());
    }
}
