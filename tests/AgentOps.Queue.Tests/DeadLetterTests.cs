using AgentOps.Telemetry;
using AgentOps.Queue;
using AgentOps.Protos.V1;
using AgentOps.Testing.Redis;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AgentOps.Queue.Tests;

/// <summary>Corrupt stream entries against a real redis-server: dead-lettered, acknowledged, counted, logged — and the consumer keeps going.</summary>
public sealed class DeadLetterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Garbage_entries_go_to_the_dead_stream_and_the_consumer_keeps_consuming()
    {
        await using var redis = await RedisServer.StartAsync();
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var options = new RedisQueueOptions { RunId = "dead-" + Guid.NewGuid().ToString("N")[..8] };
        await using var q = new RedisTrajectoryQueue(mux, options);
        var db = mux.GetDatabase();
        var garbage = "not a trajectory"u8.ToArray();
        Assert.Throws<InvalidProtocolBufferException>(() => Trajectory.Parser.ParseFrom(garbage)); // precondition

        // One corrupt entry is read by a consumer that dies (left pending: the claim path), then a mix for the read path.
        await db.ExecuteAsync("XGROUP", "CREATE", options.StreamKey, options.Group, "0", "MKSTREAM");
        var claimedBad = (string)(await db.ExecuteAsync("XADD", options.StreamKey, "*", "id", "bad-claimed", "p", garbage))!;
        await db.ExecuteAsync("XREADGROUP", "GROUP", options.Group, "dead-trainer", "COUNT", 1, "STREAMS", options.StreamKey, ">");
        await q.AppendAsync(Trajectories.Make("ok-0"));
        var readBad = (string)(await db.ExecuteAsync("XADD", options.StreamKey, "*", "id", "bad-read", "p", garbage))!;
        await q.AppendAsync(Trajectories.Make("ok-1"));
        var noPayload = (string)(await db.ExecuteAsync("XADD", options.StreamKey, "*", "x", "y"))!;
        await q.AppendAsync(Trajectories.Make("ok-2"));

        var meterName = $"AgentOps.Test.DeadLetter.{Guid.NewGuid():N}";
        using var collector = new MetricsCollector(m => m.Name == meterName);
        var logger = new CapturingLogger();
        var handed = new List<string>();
        await using var consumer = new TrajectoryConsumer(q, (batch, _) =>
        {
            lock (handed) handed.AddRange(batch.Select(e => e.Trajectory.TrajectoryId));
            return ValueTask.CompletedTask;
        }, new TrajectoryConsumerOptions
        {
            ConsumerName = "trainer-dl",
            BatchSize = 2,
            ReadWait = TimeSpan.FromMilliseconds(50),
            ClaimIdle = TimeSpan.FromMilliseconds(200),
            ClaimInterval = TimeSpan.FromMilliseconds(50),
            StatsInterval = TimeSpan.FromMilliseconds(50),
            MeterName = meterName,
        }, logger);
        using var cts = new CancellationTokenSource();
        var run = consumer.RunAsync(cts.Token);
        var deadline = DateTime.UtcNow + Timeout;
        while (consumer.Delivered < 3 || consumer.DeadLetters < 3)
        {
            Assert.False(run.IsCompleted, $"the consumer loop ended: {run.Exception?.GetBaseException().Message}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"delivered {consumer.Delivered} of 3, dead-lettered {consumer.DeadLetters} of 3 within {Timeout.TotalSeconds} s");
            await Task.Delay(20);
        }

        lock (handed) Assert.Equal(["ok-0", "ok-1", "ok-2"], handed.Order());
        var dead = (RedisResult[])(await db.ExecuteAsync("XRANGE", options.DeadStreamKey, "-", "+"))!;
        var letters = dead.Select(d => Fields((RedisResult[])((RedisResult[])d!)[1]!)).ToDictionary(f => (string)f["entry"]!);
        Assert.Equal(new[] { claimedBad, readBad, noPayload }.Order(), letters.Keys.Order());
        Assert.Equal("bad-claimed", (string)letters[claimedBad]["id"]!);
        Assert.Equal(garbage, (byte[])letters[readBad]["p"]!); // the original bytes are kept for inspection
        Assert.Contains("(16 bytes) is not a Trajectory", (string)letters[readBad]["reason"]!);
        Assert.Contains("has no field \"p\"", (string)letters[noPayload]["reason"]!);

        var stats = await q.GetStatsAsync();
        Assert.Equal(0, stats.Pending); // every corrupt entry was acknowledged, every good one too
        Assert.Contains("agentops_queue_dead_letters_total 3\n", collector.Collect());
        Assert.Equal(3, logger.Warnings.Count(w => w.Contains("moved to the dead-letter stream", StringComparison.Ordinal)));
        Assert.Contains(logger.Warnings, w => w.Contains(noPayload, StringComparison.Ordinal));

        // Keeps consuming after the dead letters: a new append is delivered.
        await q.AppendAsync(Trajectories.Make("ok-3"));
        while (consumer.Delivered < 4)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("ok-3 not delivered after the dead letters");
            await Task.Delay(20);
        }
        await cts.CancelAsync();
        await run.WaitAsync(Timeout);
        Assert.Equal(3, consumer.DeadLetters);
    }

    [Fact]
    public async Task A_dead_letter_is_acknowledged_and_never_delivered_or_claimed_again()
    {
        await using var redis = await RedisServer.StartAsync();
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var options = new RedisQueueOptions { RunId = "dead-" + Guid.NewGuid().ToString("N")[..8] };
        await using var q = new RedisTrajectoryQueue(mux, options);
        var db = mux.GetDatabase();
        var letters = new List<DeadLetter>();
        q.DeadLettered += letters.Add;
        await db.ExecuteAsync("XADD", options.StreamKey, "*", "id", "bad", "p", new byte[] { 0xff });

        Assert.Empty(await q.ReadAsync("c1", 10, TimeSpan.Zero));
        Assert.Single(letters);
        // Acknowledged by the move: no other consumer can claim it, and no second dead copy appears.
        Assert.Empty(await q.ClaimAbandonedAsync("c2", TimeSpan.Zero, 10));
        Assert.Empty(await q.ReadAsync("c1", 10, TimeSpan.Zero));
        Assert.Equal(1L, (long)(await db.ExecuteAsync("XLEN", options.DeadStreamKey))!);
        Assert.Equal(new QueueStats(1, 0, 0), await q.GetStatsAsync());
    }

    private static Dictionary<string, RedisResult> Fields(RedisResult[] flat)
    {
        var map = new Dictionary<string, RedisResult>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < flat.Length; i += 2) map[(string)flat[i]!] = flat[i + 1];
        return map;
    }

    private sealed class CapturingLogger : ILogger<TrajectoryConsumer>
    {
        private readonly List<string> _warnings = [];

        public IReadOnlyList<string> Warnings
        {
            get { lock (_warnings) return _warnings.ToList(); }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel != LogLevel.Warning) return;
            lock (_warnings) _warnings.Add(formatter(state, exception));
        }
    }
}
