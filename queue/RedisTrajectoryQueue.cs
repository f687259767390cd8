using AgentOps.Protos.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace AgentOps.Protos.Queue;

/// <summary>
/// The run's trajectory queue on a Redis Stream (Redis 7): key <c>agentops:{run}:trajectories</c>, one consumer
/// group (<c>trainer</c>), entries with fields <c>id</c> (trajectory id) and <c>p</c> (the serialized protobuf).
/// Appends are idempotent by trajectory id (key <c>agentops:{run}:ids:ID</c>), see <see cref="RedisStreamAppender"/>.
/// Entries that are not Trajectories go to <c>agentops:{run}:dead</c> (see <see cref="DeadLettered"/>).
/// Reads are non-blocking XREADGROUP polls: StackExchange.Redis 1.2.6 pipelines every caller on one socket, so a
/// BLOCK there would stall every other command. Lag and pending come from XINFO GROUPS; reclaim is XAUTOCLAIM.
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
    private long _averageEntryBytes = 4096;

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
        if (options.MaxAppendBatchBytes < 1) throw new ArgumentOutOfRangeException(nameof(options), $"RedisQueueOptions.MaxAppendBatchBytes must be at least 1, got {options.MaxAppendBatchBytes}");
        if (options.ScriptAppendMaxBytes < 0) throw new ArgumentOutOfRangeException(nameof(options), $"RedisQueueOptions.ScriptAppendMaxBytes must be at least 0, got {options.ScriptAppendMaxBytes}");
        if (options.MaxReplyBytes < 1) throw new ArgumentOutOfRangeException(nameof(options), $"RedisQueueOptions.MaxReplyBytes must be at least 1, got {options.MaxReplyBytes}");
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
    /// owns the connection. A "redis://host:port" URL is accepted too. The client's write buffer is
    /// <see cref="RedisQueueOptions.ClientWriteBufferBytes"/> unless the configuration sets <c>writeBuffer</c>.
    /// </summary>
    public static async Task<RedisTrajectoryQueue> ConnectAsync(string configuration, RedisQueueOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var text = ToConfiguration(configuration);
        var config = ConfigurationOptions.Parse(text);
        config.AbortOnConnectFail = false;
        if (!text.Contains("writeBuffer=", StringComparison.OrdinalIgnoreCase))
        {
            if (options.ClientWriteBufferBytes < 1)
                throw new ArgumentOutOfRangeException(nameof(options), $"RedisQueueOptions.ClientWriteBufferBytes must be at least 1, got {options.ClientWriteBufferBytes}");
            config.WriteBuffer = options.ClientWriteBufferBytes;
        }
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
            var batch = new List<QueueEntry>();
            var read = 0;
            // The first reply probes; each round that comes back full sends twice as many calls next (up to what maxCount
            // leaves). Sending the rest of maxCount at once after a full probe made most calls come back empty when the
            // backlog was a few replies deep: 64 KiB bench, 10,235 XREADGROUP (and as many SELECT) for 6,000 entries.
            var pipelined = 1;
            while (read < maxCount)
            {
                var perReply = EntriesPerReply();
                var counts = new List<int>();
                for (var rest = maxCount - read; rest > 0 && counts.Count < pipelined; rest -= counts[^1]) counts.Add(Math.Min(rest, perReply));
                // XREADGROUP > calls pipelined on one connection run in order, each taking the next entries: one round
                // trip for the whole batch instead of one per reply-sized part.
                var replies = await Task.WhenAll(counts.Select(count => RunGroupCommand("XREADGROUP",
                    ["GROUP", _options.Group, consumer, "COUNT", count, "STREAMS", (string)_stream!, ">"], cancellationToken))).ConfigureAwait(false);
                var raw = new List<RedisResult>();
                var drained = false;
                for (var i = 0; i < replies.Length; i++)
                {
                    var result = replies[i];
                    var entries = result.IsNull || ((RedisResult[])result!).Length == 0 ? [] : (RedisResult[])((RedisResult[])((RedisResult[])result!)[0]!)[1]!;
                    raw.AddRange(entries);
                    drained |= entries.Length < counts[i];
                }
                read += raw.Count;
                batch.AddRange((await ParseOrDeadLetterAsync(raw, cancellationToken).ConfigureAwait(false)).Select(e => new QueueEntry(e.EntryId, e.Trajectory, 1)));
                if (drained) break;
                pipelined *= 2;
            }
            if (batch.Count > 0) return batch;
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
        var args = new List<object>(entries.Count + 2) { (string)_stream!, _options.Group };
        args.AddRange(entries.Select(e => (object)e.EntryId));
        await Run($"acknowledge {entries.Count} entries", db => db.ExecuteAsync("XACK", args), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<QueueEntry>> ClaimAbandonedAsync(string consumer, TimeSpan minIdle, int maxCount, CancellationToken cancellationToken = default)
    {
        QueueArguments.CheckRead(consumer, maxCount);
        await EnsureGroupAsync(cancellationToken).ConfigureAwait(false);
        var claimed = new List<RedisResult>();
        var cursor = "0-0";
        var idleMs = (long)Math.Max(0, minIdle.TotalMilliseconds);
        do
        {
            // XAUTOCLAIM key group consumer min-idle start COUNT n -> [next cursor, entries, deleted ids] (Redis 7).
            var result = (RedisResult[])(await RunGroupCommand("XAUTOCLAIM",
                [(string)_stream!, _options.Group, consumer, idleMs, cursor, "COUNT", Math.Min(maxCount - claimed.Count, EntriesPerReply())], cancellationToken).ConfigureAwait(false))!;
            cursor = (string)result[0]!;
            claimed.AddRange(((RedisResult[])result[1]!).Where(e => !e.IsNull));
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
        var length = (long)(await Run("XLEN", db => db.ExecuteAsync("XLEN", (string)_stream!), cancellationToken).ConfigureAwait(false))!;
        RedisResult groups;
        try
        {
            groups = await Run("XINFO GROUPS", db => db.ExecuteAsync("XINFO", "GROUPS", (string)_stream!), cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.Contains("no such key", StringComparison.OrdinalIgnoreCase))
        {
            return new QueueStats(0, 0, 0);
        }
        foreach (var g in (RedisResult[])groups!)
        {
            var fields = (RedisResult[])g!;
            var map = new Dictionary<string, RedisResult>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < fields.Length; i += 2) map[(string)fields[i]!] = fields[i + 1];
            if ((string)map["name"]! != _options.Group) continue;
            var pending = (long)map["pending"]!;
            // "lag" is nil when Redis cannot compute it (entries deleted after the last delivered id): the stream length bounds it.
            var lag = map.TryGetValue("lag", out var l) && !l.IsNull ? (long)l! : length;
            return new QueueStats(length, pending, lag);
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
        // XPENDING key group start end count consumer -> [[id, consumer, idle ms, deliveries], ...]
        var pending = (RedisResult[])(await Run("XPENDING", db => db.ExecuteAsync("XPENDING", (string)_stream!, _options.Group, ids[0], ids[^1], ids.Count * 4 + 16, consumer), cancellationToken).ConfigureAwait(false))!;
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var p in pending)
        {
            var row = (RedisResult[])p!;
            counts[(string)row[0]!] = (long)row[3]!;
        }
        return counts;
    }

    /// <summary>
    /// COUNT for one XREADGROUP/XAUTOCLAIM so that a reply stays near <see cref="RedisQueueOptions.MaxReplyBytes"/>:
    /// StackExchange.Redis 1.2.6 slows down sharply on multi-MiB replies (measured here with 64 KiB entries:
    /// COUNT 64 read 354 entries/s, COUNT 8 read 8,299 entries/s).
    /// </summary>
    private int EntriesPerReply() =>
        (int)Math.Clamp(_options.MaxReplyBytes / Math.Max(1, Interlocked.Read(ref _averageEntryBytes)), 1, int.MaxValue);

    /// <summary>
    /// The entries of one reply as Trajectories. An entry that is not one (no field "p", or bytes protobuf cannot parse)
    /// is a dead letter: moved to <see cref="RedisQueueOptions.DeadStreamKey"/> and acknowledged in one script, then
    /// reported through <see cref="DeadLettered"/> — it must not stop the trainer, and it must not vanish either.
    /// </summary>
    private async Task<List<(string EntryId, Trajectory Trajectory)>> ParseOrDeadLetterAsync(IEnumerable<RedisResult> raw, CancellationToken cancellationToken)
    {
        var good = new List<(string, Trajectory)>();
        List<(DeadLetter Letter, byte[] Payload)>? dead = null;
        foreach (var r in raw)
        {
            var e = (RedisResult[])r!;
            var entryId = (string)e[0]!;
            var fields = (RedisResult[])e[1]!;
            byte[]? payload = null;
            RedisResult? idField = null;
            for (var i = 0; i + 1 < fields.Length; i += 2)
            {
                // Field names compared as the bytes the reply holds (no string per name and entry).
                var name = ((byte[]?)fields[i]).AsSpan();
                if (name.SequenceEqual("p"u8)) payload = (byte[])fields[i + 1]!;
                else if (name.SequenceEqual("id"u8)) idField = fields[i + 1];
            }
            if (payload is null)
            {
                (dead ??= []).Add((new DeadLetter(entryId, IdOf(idField), $"stream entry {entryId} has no field \"p\" (the serialized Trajectory)", 0), []));
                continue;
            }
            // A moving average (1/8 weight) of entry sizes sets how many entries one reply may carry.
            var avg = Interlocked.Read(ref _averageEntryBytes);
            Interlocked.Exchange(ref _averageEntryBytes, avg + ((payload.Length - avg) / 8));
            try
            {
                good.Add((entryId, Wire.TrajectoryWireParser.Parse(payload)));
            }
            catch (InvalidProtocolBufferException ex)
            {
                (dead ??= []).Add((new DeadLetter(entryId, IdOf(idField), $"stream entry {entryId}: field \"p\" ({payload.Length} bytes) is not a Trajectory: {ex.Message}", payload.Length), payload));
            }
        }
        if (dead is null) return good;
        static string? IdOf(RedisResult? field) => field is null ? null : (string?)field; // decoded for dead letters only
        var args = new List<RedisValue>(2 + dead.Count * 4) { _options.Group, _options.MaxLength };
        foreach (var (letter, payload) in dead) args.AddRange([letter.EntryId, letter.TrajectoryId ?? "", letter.Reason, payload]);
        await Run($"move {dead.Count} corrupt entries to {_options.DeadStreamKey}", db => db.ScriptEvaluateAsync(RedisStreamScripts.DeadLetter,
            [_stream, _options.DeadStreamKey], args.ToArray()), cancellationToken).ConfigureAwait(false);
        foreach (var (letter, _) in dead) DeadLettered?.Invoke(letter);
        return good;
    }

    /// <summary>A command that needs the group; a NOGROUP answer (Redis restarted without persistence) recreates it once.</summary>
    private async Task<RedisResult> RunGroupCommand(string command, object[] args, CancellationToken cancellationToken)
    {
        try
        {
            return await Run(command, db => db.ExecuteAsync(command, args), cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            _groupReady = false;
            await EnsureGroupAsync(cancellationToken).ConfigureAwait(false);
            return await Run(command, db => db.ExecuteAsync(command, args), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task EnsureGroupAsync(CancellationToken cancellationToken)
    {
        if (_groupReady) return;
        try
        {
            // From id 0: entries appended before the trainer first read are delivered too.
            await Run("XGROUP CREATE", db => db.ExecuteAsync("XGROUP", "CREATE", (string)_stream!, _options.Group, "0", "MKSTREAM"), cancellationToken).ConfigureAwait(false);
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
