using AgentOps.Protos.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace AgentOps.Queue;

/// <summary>
/// The run's trajectory queue on a Redis Stream (Redis 7): key <c>agentops:{run}:trajectories</c>, one consumer
/// group (<c>trainer</c>), entries with fields <c>id</c> (trajectory id) and <c>p</c> (the serialized protobuf).
/// Appends are idempotent by trajectory id (key <c>agentops:{run}:ids:ID</c>), see <see cref="RedisStreamAppender"/>.
/// Entries that are not Trajectories go to <c>agentops:{run}:dead</c> (see <see cref="DeadLettered"/>).
/// Every command goes through StackExchange.Redis's stream API (XADD MAXLEN ~, XREADGROUP, XACK, XAUTOCLAIM, XPENDING,
/// XINFO GROUPS, XGROUP CREATE MKSTREAM); scripts only where several commands must run atomically (see
/// <see cref="RedisStreamAppender"/>, <see cref="RedisStreamScripts.DeadLetter"/>). Reads are non-blocking XREADGROUP
/// polls: the multiplexer pipelines every caller on one socket, so a BLOCK would stall every other command (DESIGN.md).
/// Connection failures and timeouts surface as <see cref="QueueUnavailableException"/>.
/// </summary>
public sealed class RedisTrajectoryQueue : ITrajectoryQueue
{
    private readonly ConnectionMultiplexer _redis;
    private readonly bool _ownsConnection;
    private readonly RedisQueueOptions _options;
    private readonly RedisKey _stream;
    private readonly RedisCommandRunner _commands;
    private readonly RedisStreamAppender _appender;
    private volatile bool _groupReady;

    /// <param name="redis">A shared multiplexer (not disposed by the queue).</param>
    public RedisTrajectoryQueue(ConnectionMultiplexer redis, RedisQueueOptions options)
        : this(redis, options, ownsConnection: false)
    {
    }

    private RedisTrajectoryQueue(ConnectionMultiplexer redis, RedisQueueOptions options, bool ownsConnection)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.RunId) || options.RunId.AsSpan().IndexOfAny('{', '}') >= 0 || options.RunId.Contains(' ', StringComparison.Ordinal))
            throw new ArgumentException($"RedisQueueOptions.RunId must be non-empty without braces or spaces, got \"{options.RunId}\"", nameof(options));
        if (options.MaxLength < 1) throw new ArgumentOutOfRangeException(nameof(options), $"RedisQueueOptions.MaxLength must be at least 1, got {options.MaxLength}");
        if (options.IdempotencyTtl < TimeSpan.FromSeconds(1)) throw new ArgumentOutOfRangeException(nameof(options), $"RedisQueueOptions.IdempotencyTtl must be at least 1 s, got {options.IdempotencyTtl}");
        if (options.MaxAppendBatch < 1) throw new ArgumentOutOfRangeException(nameof(options), $"RedisQueueOptions.MaxAppendBatch must be at least 1, got {options.MaxAppendBatch}");
        if (options.ScriptAppendMaxBytes < 0) throw new ArgumentOutOfRangeException(nameof(options), $"RedisQueueOptions.ScriptAppendMaxBytes must be at least 0, got {options.ScriptAppendMaxBytes}");
        _redis = redis;
        _options = options;
        _ownsConnection = ownsConnection;
        _stream = options.StreamKey;
        _commands = new RedisCommandRunner(redis, options);
        _appender = new RedisStreamAppender(_commands, options);
    }

    public RedisQueueOptions Options => _options;

    /// <summary>The multiplexer (tests read its configuration).</summary>
    internal ConnectionMultiplexer Connection => _redis;

    public event Action<DeadLetter>? DeadLettered;

    /// <summary>
    /// Connects to <paramref name="configuration"/> (a StackExchange.Redis configuration string, e.g. "127.0.0.1:6379" or
    /// "host:6379,password=..."; <c>abortConnect=false</c> is added so the queue reconnects when Redis comes back) and
    /// owns the connection. A "redis://host:port" URL is accepted too.
    /// </summary>
    public static async Task<RedisTrajectoryQueue> ConnectAsync(string configuration, RedisQueueOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = ConfigurationOptions.Parse(ToConfiguration(configuration));
        config.AbortOnConnectFail = false;
        var redis = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
        return new RedisTrajectoryQueue(redis, options, ownsConnection: true);
    }

    /// <summary>"redis://[:password@]host:port[/db]" or a StackExchange.Redis configuration string.</summary>
    public static string ToConfiguration(string urlOrConfiguration)
    {
        if (!urlOrConfiguration.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)) return urlOrConfiguration;
        var uri = new Uri(urlOrConfiguration);
        var parts = new List<string> { $"{uri.Host}:{(uri.Port > 0 ? uri.Port : 6379)}" };
        if (uri.UserInfo.Length > 0) parts.Add("password=" + Uri.UnescapeDataString(uri.UserInfo.Split(':').Last()));
        var db = uri.AbsolutePath.Trim('/');
        if (db.Length > 0) parts.Add("defaultDatabase=" + db);
        return string.Join(",", parts);
    }

    public async Task<AppendOutcome> AppendAsync(Trajectory trajectory, CancellationToken cancellationToken = default) =>
        (await AppendBatchAsync([trajectory], cancellationToken).ConfigureAwait(false))[0];

    public Task<IReadOnlyList<AppendOutcome>> AppendBatchAsync(IReadOnlyList<Trajectory> trajectories, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trajectories);
        foreach (var t in trajectories) QueueArguments.CheckTrajectory(t);
        return AppendSerializedAsync(trajectories.Select(SerializedTrajectory.Of).ToList(), cancellationToken);
    }

    public Task<IReadOnlyList<AppendOutcome>> AppendSerializedAsync(IReadOnlyList<SerializedTrajectory> trajectories, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trajectories);
        foreach (var t in trajectories) QueueArguments.CheckSerialized(t);
        cancellationToken.ThrowIfCancellationRequested();
        return _appender.AppendAsync(trajectories, cancellationToken);
    }

    public async Task<IReadOnlyList<QueueEntry>> ReadAsync(string consumer, int maxCount, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        QueueArguments.CheckRead(consumer, maxCount);
        await EnsureGroupAsync(cancellationToken).ConfigureAwait(false);
        var time = _options.TimeProvider;
        var started = time.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entries = await RunGroupCommand("XREADGROUP", db => db.StreamReadGroupAsync(_stream, _options.Group, consumer, StreamPosition.NewMessages, maxCount), cancellationToken).ConfigureAwait(false);
            if (entries.Length > 0)
            {
                var batch = await ParseOrDeadLetterAsync(entries, cancellationToken).ConfigureAwait(false);
                if (batch.Count > 0) return batch.Select(e => new QueueEntry(e.EntryId, e.Trajectory, 1)).ToList();
                continue; // every entry was a dead letter: read on
            }
            var left = wait - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero) return [];
            // Short, growing pauses up to PollInterval: an entry appended right after an empty poll is seen within ~1 ms.
            pause = TimeSpan.FromTicks(Math.Min(Math.Min(pause.Ticks * 2, _options.PollInterval.Ticks), left.Ticks));
            await Task.Delay(pause, time, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task AcknowledgeAsync(IReadOnlyCollection<QueueEntry> entries, CancellationToken cancellationToken = default)
    {
        if (entries.Count == 0) return;
        var ids = entries.Select(e => (RedisValue)e.EntryId).ToArray();
        await Run($"acknowledge {entries.Count} entries", db => db.StreamAcknowledgeAsync(_stream, _options.Group, ids), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<QueueEntry>> ClaimAbandonedAsync(string consumer, TimeSpan minIdle, int maxCount, CancellationToken cancellationToken = default)
    {
        QueueArguments.CheckRead(consumer, maxCount);
        await EnsureGroupAsync(cancellationToken).ConfigureAwait(false);
        var claimed = new List<StreamEntry>();
        RedisValue cursor = "0-0";
        var idleMs = (long)Math.Max(0, minIdle.TotalMilliseconds);
        do
        {
            // XAUTOCLAIM (Redis 7): entries trimmed while pending come back as deleted ids and leave the pending list.
            var start = cursor;
            var result = await RunGroupCommand("XAUTOCLAIM", db => db.StreamAutoClaimAsync(_stream, _options.Group, consumer, idleMs, start, maxCount - claimed.Count), cancellationToken).ConfigureAwait(false);
            cursor = result.NextStartId;
            claimed.AddRange(result.ClaimedEntries.Where(e => !e.IsNull));
        }
        while (cursor != "0-0" && claimed.Count < maxCount);
        if (claimed.Count == 0) return [];
        var parsed = await ParseOrDeadLetterAsync(claimed, cancellationToken).ConfigureAwait(false);
        if (parsed.Count == 0) return [];
        var counts = await DeliveryCountsAsync(consumer, parsed.Select(e => e.EntryId).ToList(), cancellationToken).ConfigureAwait(false);
        return parsed.Select(e => new QueueEntry(e.EntryId, e.Trajectory, counts.GetValueOrDefault(e.EntryId, 2))).ToList();
    }

    public async Task<QueueStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        var length = await Run("XLEN", db => db.StreamLengthAsync(_stream), cancellationToken).ConfigureAwait(false);
        if (length == 0 && !await Run("EXISTS", db => db.KeyExistsAsync(_stream), cancellationToken).ConfigureAwait(false))
            return new QueueStats(0, 0, 0);
        var groups = await Run("XINFO GROUPS", db => db.StreamGroupInfoAsync(_stream), cancellationToken).ConfigureAwait(false);
        foreach (var g in groups)
        {
            if (g.Name != _options.Group) continue;
            // Lag is null when Redis cannot compute it (entries deleted after the last delivered id): the stream length bounds it.
            return new QueueStats(length, g.PendingMessageCount, g.Lag ?? length);
        }
        return new QueueStats(length, 0, length);
    }

    public ValueTask DisposeAsync()
    {
        if (_ownsConnection) _redis.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<Dictionary<string, long>> DeliveryCountsAsync(string consumer, List<string> ids, CancellationToken cancellationToken)
    {
        var pending = await Run("XPENDING", db => db.StreamPendingMessagesAsync(_stream, _options.Group, ids.Count * 4 + 16, consumer, ids[0], ids[^1]), cancellationToken).ConfigureAwait(false);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var p in pending) counts[p.MessageId!] = p.DeliveryCount;
        return counts;
    }

    /// <summary>
    /// The entries of one reply as Trajectories. An entry that is not one (no field "p", or bytes protobuf cannot parse)
    /// is a dead letter: moved to <see cref="RedisQueueOptions.DeadStreamKey"/> and acknowledged in one script, then
    /// reported through <see cref="DeadLettered"/> — it must not stop the trainer, and it must not vanish either.
    /// </summary>
    private async Task<List<(string EntryId, Trajectory Trajectory)>> ParseOrDeadLetterAsync(IReadOnlyList<StreamEntry> entries, CancellationToken cancellationToken)
    {
        var good = new List<(string, Trajectory)>(entries.Count);
        List<(DeadLetter Letter, RedisValue Payload)>? dead = null;
        foreach (var e in entries)
        {
            var entryId = (string)e.Id!;
            var payload = e["p"];
            if (payload.IsNull)
            {
                (dead ??= []).Add((new DeadLetter(entryId, IdOf(e), $"stream entry {entryId} has no field \"p\" (the serialized Trajectory)", 0), RedisValue.EmptyString));
                continue;
            }
            var bytes = (ReadOnlyMemory<byte>)payload;
            try
            {
                good.Add((entryId, Protos.Wire.TrajectoryWireParser.Parse(bytes.Span)));
            }
            catch (InvalidProtocolBufferException ex)
            {
                (dead ??= []).Add((new DeadLetter(entryId, IdOf(e), $"stream entry {entryId}: field \"p\" ({bytes.Length} bytes) is not a Trajectory: {ex.Message}", bytes.Length), payload));
            }
        }
        if (dead is null) return good;
        static string? IdOf(StreamEntry e) => e["id"] is { IsNull: false } id ? (string?)id : null; // decoded for dead letters only
        var args = new List<RedisValue>(2 + dead.Count * 4) { _options.Group, _options.MaxLength };
        foreach (var (letter, payload) in dead) args.AddRange([letter.EntryId, letter.TrajectoryId ?? "", letter.Reason, payload]);
        await Run($"move {dead.Count} corrupt entries to {_options.DeadStreamKey}", db => db.ScriptEvaluateAsync(RedisStreamScripts.DeadLetter,
            [_stream, _options.DeadStreamKey], args.ToArray()), cancellationToken).ConfigureAwait(false);
        foreach (var (letter, _) in dead) DeadLettered?.Invoke(letter);
        return good;
    }

    /// <summary>A command that needs the group; a NOGROUP answer (Redis restarted without persistence) recreates it once.</summary>
    private async Task<T> RunGroupCommand<T>(string what, Func<IDatabase, Task<T>> command, CancellationToken cancellationToken)
    {
        try
        {
            return await Run(what, command, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            _groupReady = false;
            await EnsureGroupAsync(cancellationToken).ConfigureAwait(false);
            return await Run(what, command, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task EnsureGroupAsync(CancellationToken cancellationToken)
    {
        if (_groupReady) return;
        try
        {
            // From id 0: entries appended before the trainer first read are delivered too.
            await Run("XGROUP CREATE", db => db.StreamCreateConsumerGroupAsync(_stream, _options.Group, "0", createStream: true), cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // exists already
        }
        _groupReady = true;
    }

    private Task<T> Run<T>(string what, Func<IDatabase, Task<T>> command, CancellationToken cancellationToken) =>
        _commands.Run(what, command, cancellationToken);
}
