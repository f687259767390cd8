using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AgentOps.Protos.Queue.Resp;
using AgentOps.Protos.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace AgentOps.Protos.Queue;

/// <summary>
/// The run's trajectory queue on a Redis Stream (Redis 7): key <c>agentops:{run}:trajectories</c>, one consumer
/// group (<c>trainer</c>), entries with fields <c>id</c> (trajectory id) and <c>p</c> (the serialized protobuf).
/// Appends are idempotent by trajectory id through one Lua script per batch (per trajectory: EXISTS id key, XADD
/// MAXLEN ~, SET id key EX).
/// Entries that are not Trajectories go to <c>agentops:{run}:dead</c> (see <see cref="DeadLettered"/>).
/// The hot path does not go through StackExchange.Redis 1.2.6, which costs far more CPU than Redis itself on these
/// commands (measured: 120 µs/append and 75 µs/read of a 4 KiB trajectory, 885 / 691 µs at 64 KiB, against ~30 µs of
/// redis-server): appends (EVALSHA) and acks go over our own pipelined RESP connection, and reads are XREADGROUP
/// with BLOCK over a second, dedicated one, so a blocked read stalls no other command. Both connect to the
/// multiplexer's endpoint (same password and database) on first use. The multiplexer serves the rest: group
/// creation, XINFO GROUPS (lag, pending), XAUTOCLAIM, dead letters.
/// Connection failures and timeouts surface as <see cref="QueueUnavailableException"/>.
/// </summary>
public sealed class RedisTrajectoryQueue : ITrajectoryQueue
{
    private readonly ConnectionMultiplexer _redis;
    private readonly bool _ownsConnection;
    private readonly RedisQueueOptions _options;
    private readonly RedisKey _stream;
    private readonly RespClient _commands;
    private readonly RespClient _reads;
    private volatile bool _groupReady;
    private long _averageEntryBytes = 4096;
    private static readonly byte[] AppendScript = Encoding.UTF8.GetBytes(RedisStreamScripts.AppendBatch);
    private static readonly string AppendScriptSha = Convert.ToHexStringLower(SHA1.HashData(AppendScript));

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
        if (options.MaxReplyBytes < 1) throw new ArgumentOutOfRangeException(nameof(options), $"RedisQueueOptions.MaxReplyBytes must be at least 1, got {options.MaxReplyBytes}");
        _redis = redis;
        _options = options;
        _ownsConnection = ownsConnection;
        _stream = options.StreamKey;
        var endpoint = RespEndpoint.FromConfiguration(redis.Configuration);
        _commands = new RespClient(endpoint, options.CommandTimeout, options.TimeProvider);
        _reads = new RespClient(endpoint, options.CommandTimeout, options.TimeProvider);
    }

    public RedisQueueOptions Options => _options;

    public event Action<DeadLetter>? DeadLettered;

    /// <summary>
    /// Connects to <paramref name="configuration"/> (a StackExchange.Redis configuration string, e.g. "127.0.0.1:6379" or
    /// "host:6379,password=..."; <c>abortConnect=false</c> is added so the queue reconnects when Redis comes back) and
    /// owns the connection. A "redis://host:port" URL is accepted too.
    /// </summary>
    public static async Task<RedisTrajectoryQueue> ConnectAsync(string configuration, RedisQueueOptions options)
    {
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

    public async Task<IReadOnlyList<AppendOutcome>> AppendBatchAsync(IReadOnlyList<Trajectory> trajectories, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trajectories);
        foreach (var t in trajectories) QueueArguments.CheckTrajectory(t);
        cancellationToken.ThrowIfCancellationRequested();
        if (trajectories.Count == 0) return [];
        // Parts of at most MaxAppendBatch trajectories / MaxAppendBatchBytes, sent together (pipelined on one connection).
        var parts = new List<(int Start, int Count)>();
        var partStart = 0;
        var partBytes = 0L;
        var sizes = new int[trajectories.Count];
        for (var i = 0; i < trajectories.Count; i++)
        {
            var size = sizes[i] = trajectories[i].CalculateSize();
            var count = i - partStart;
            if (count > 0 && (count == _options.MaxAppendBatch || partBytes + size > _options.MaxAppendBatchBytes))
            {
                parts.Add((partStart, count));
                partStart = i;
                partBytes = 0;
            }
            partBytes += size;
        }
        parts.Add((partStart, trajectories.Count - partStart));
        var results = await Task.WhenAll(parts.Select(p => AppendPartAsync(trajectories, sizes, p.Start, p.Count, cancellationToken))).ConfigureAwait(false);
        var outcomes = new AppendOutcome[trajectories.Count];
        for (var p = 0; p < parts.Count; p++)
            for (var j = 0; j < parts[p].Count; j++)
                outcomes[parts[p].Start + j] = results[p][j].AsInteger() == 1 ? AppendOutcome.Appended : AppendOutcome.Duplicate;
        return outcomes;
    }

    /// <summary>EVALSHA of the append script (EVAL once when Redis answers NOSCRIPT: restarted, or SCRIPT FLUSH),
    /// each payload serialized straight into the command.</summary>
    private async Task<RespReply[]> AppendPartAsync(IReadOnlyList<Trajectory> trajectories, int[] sizes, int start, int count, CancellationToken cancellationToken)
    {
        var what = count == 1 ? $"append trajectory \"{trajectories[start].TrajectoryId}\"" : $"append {count} trajectories (\"{trajectories[start].TrajectoryId}\" first)";
        var reply = await RunResp(_commands, what, AppendCommand(trajectories, sizes, start, count, byHash: true), _options.CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (reply.IsError && reply.Text!.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            reply = await RunResp(_commands, what, AppendCommand(trajectories, sizes, start, count, byHash: false), _options.CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (reply.IsError) throw Refused(what, reply);
        var outcomes = reply.AsArray();
        if (outcomes.Length != count) throw new InvalidDataException($"redis answered {what} with {outcomes.Length} outcomes");
        return outcomes;
    }

    private ArrayBufferWriter<byte> AppendCommand(IReadOnlyList<Trajectory> trajectories, int[] sizes, int start, int count, bool byHash)
    {
        // Sized up front: a buffer that grows by doubling copies a 64 KiB command several times.
        var capacity = 512 + RespWriter.BulkSize(AppendScript.Length);
        for (var j = start; j < start + count; j++) capacity += RespWriter.BulkSize(sizes[j]) + 2 * RespWriter.BulkSize(3 * trajectories[j].TrajectoryId.Length + _options.IdKey("").Length);
        var command = new ArrayBufferWriter<byte>(capacity);
        RespWriter.ArrayHeader(command, 3 + (count + 1) + 2 + 2 * count);
        RespWriter.Bulk(command, byHash ? "EVALSHA"u8 : "EVAL"u8);
        if (byHash) RespWriter.Bulk(command, AppendScriptSha);
        else RespWriter.Bulk(command, AppendScript);
        RespWriter.Bulk(command, count + 1);
        RespWriter.Bulk(command, (string)_stream!);
        for (var j = 0; j < count; j++) RespWriter.Bulk(command, _options.IdKey(trajectories[start + j].TrajectoryId));
        RespWriter.Bulk(command, _options.MaxLength);
        RespWriter.Bulk(command, (long)Math.Ceiling(_options.IdempotencyTtl.TotalSeconds));
        for (var j = 0; j < count; j++)
        {
            RespWriter.Bulk(command, trajectories[start + j].TrajectoryId);
            RespWriter.Bulk(command, trajectories[start + j], sizes[start + j]);
        }
        return command;
    }

    public async Task<IReadOnlyList<QueueEntry>> ReadAsync(string consumer, int maxCount, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        QueueArguments.CheckRead(consumer, maxCount);
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureGroupAsync(cancellationToken).ConfigureAwait(false);
        // BLOCK waits on Redis's clock (whole milliseconds, at least 1; 0 would mean forever).
        var blockMs = wait > TimeSpan.Zero ? Math.Max(1, (long)Math.Ceiling(wait.TotalMilliseconds)) : 0;
        var batch = new List<QueueEntry>();
        var pipelined = 1; // the first reply probes (and blocks); when it comes back full, the rest of maxCount goes out at once
        while (batch.Count < maxCount)
        {
            var perReply = EntriesPerReply();
            var counts = new List<int>();
            for (var rest = maxCount - batch.Count; rest > 0 && counts.Count < pipelined; rest -= counts[^1]) counts.Add(Math.Min(rest, perReply));
            var block = batch.Count == 0 ? blockMs : 0;
            // XREADGROUP > calls pipelined on one connection run in order, each taking the next entries.
            var replies = await Task.WhenAll(counts.Select((count, i) => ReadGroupAsync(consumer, count, i == 0 ? block : 0, cancellationToken))).ConfigureAwait(false);
            var raw = new List<RawEntry>();
            var drained = false;
            for (var i = 0; i < replies.Length; i++)
            {
                // [[stream, [[id, [field, value, ...]], ...]]] or nil when nothing came within BLOCK.
                var entries = replies[i].Kind == RespKind.Null || replies[i].AsArray().Length == 0 ? [] : replies[i].AsArray()[0].AsArray()[1].AsArray();
                foreach (var e in entries) raw.Add(RawEntry.From(e));
                drained |= entries.Length < counts[i];
            }
            batch.AddRange((await ParseOrDeadLetterAsync(raw, cancellationToken).ConfigureAwait(false)).Select(e => new QueueEntry(e.EntryId, e.Trajectory, 1)));
            if (drained) break;
            pipelined = int.MaxValue;
        }
        return batch;
    }

    private async Task<RespReply> ReadGroupAsync(string consumer, int count, long blockMs, CancellationToken cancellationToken)
    {
        var command = new ArrayBufferWriter<byte>(256);
        RespWriter.ArrayHeader(command, blockMs > 0 ? 11 : 9);
        RespWriter.Bulk(command, "XREADGROUP"u8);
        RespWriter.Bulk(command, "GROUP"u8);
        RespWriter.Bulk(command, _options.Group);
        RespWriter.Bulk(command, consumer);
        RespWriter.Bulk(command, "COUNT"u8);
        RespWriter.Bulk(command, count);
        if (blockMs > 0)
        {
            RespWriter.Bulk(command, "BLOCK"u8);
            RespWriter.Bulk(command, blockMs);
        }
        RespWriter.Bulk(command, "STREAMS"u8);
        RespWriter.Bulk(command, (string)_stream!);
        RespWriter.Bulk(command, ">"u8);
        var timeout = _options.CommandTimeout + TimeSpan.FromMilliseconds(blockMs);
        var reply = await RunResp(_reads, "XREADGROUP", command, timeout, cancellationToken, closeOnCancel: blockMs > 0).ConfigureAwait(false);
        if (reply.IsError && reply.Text!.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            // Redis restarted without persistence: recreate the group once and read again.
            _groupReady = false;
            await EnsureGroupAsync(cancellationToken).ConfigureAwait(false);
            reply = await RunResp(_reads, "XREADGROUP", command, timeout, cancellationToken, closeOnCancel: blockMs > 0).ConfigureAwait(false);
        }
        if (reply.IsError) throw Refused("XREADGROUP", reply);
        return reply;
    }

    public async Task AcknowledgeAsync(IReadOnlyCollection<QueueEntry> entries, CancellationToken cancellationToken = default)
    {
        if (entries.Count == 0) return;
        var command = new ArrayBufferWriter<byte>(64 + entries.Count * 24);
        RespWriter.ArrayHeader(command, 3 + entries.Count);
        RespWriter.Bulk(command, "XACK"u8);
        RespWriter.Bulk(command, (string)_stream!);
        RespWriter.Bulk(command, _options.Group);
        foreach (var e in entries) RespWriter.Bulk(command, e.EntryId);
        var what = $"acknowledge {entries.Count} entries";
        var reply = await RunResp(_commands, what, command, _options.CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (reply.IsError) throw Refused(what, reply);
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
        var parsed = await ParseOrDeadLetterAsync(claimed.Select(RawEntry.From).ToList(), cancellationToken).ConfigureAwait(false);
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

    public async ValueTask DisposeAsync()
    {
        await _reads.DisposeAsync().ConfigureAwait(false);
        await _commands.DisposeAsync().ConfigureAwait(false);
        if (_ownsConnection) _redis.Dispose();
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
    private async Task<List<(string EntryId, Trajectory Trajectory)>> ParseOrDeadLetterAsync(List<RawEntry> raw, CancellationToken cancellationToken)
    {
        var good = new List<(string, Trajectory)>(raw.Count);
        List<(DeadLetter Letter, byte[] Payload)>? dead = null;
        foreach (var (entryId, trajectoryId, payload) in raw)
        {
            if (payload is null)
            {
                (dead ??= []).Add((new DeadLetter(entryId, trajectoryId, $"stream entry {entryId} has no field \"p\" (the serialized Trajectory)", 0), []));
                continue;
            }
            // A moving average (1/8 weight) of entry sizes sets how many entries one reply may carry.
            var avg = Interlocked.Read(ref _averageEntryBytes);
            Interlocked.Exchange(ref _averageEntryBytes, avg + ((payload.Length - avg) / 8));
            try
            {
                good.Add((entryId, Trajectory.Parser.ParseFrom(payload)));
            }
            catch (InvalidProtocolBufferException ex)
            {
                (dead ??= []).Add((new DeadLetter(entryId, trajectoryId, $"stream entry {entryId}: field \"p\" ({payload.Length} bytes) is not a Trajectory: {ex.Message}", payload.Length), payload));
            }
        }
        if (dead is null) return good;
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
        // From id 0: entries appended before the trainer first read are delivered too. Over the reads' own connection,
        // which is up whenever the read that needs the group can run (the multiplexer may still be reconnecting).
        var command = new ArrayBufferWriter<byte>(128);
        RespWriter.ArrayHeader(command, 6);
        foreach (var arg in new[] { "XGROUP", "CREATE", (string)_stream!, _options.Group, "0", "MKSTREAM" }) RespWriter.Bulk(command, arg);
        var reply = await RunResp(_reads, "XGROUP CREATE", command, _options.CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (reply.IsError && !reply.Text!.StartsWith("BUSYGROUP", StringComparison.Ordinal)) throw Refused("XGROUP CREATE", reply); // BUSYGROUP: exists already
        _groupReady = true;
    }

    private async Task<RedisResult> Run(string what, Func<IDatabase, Task<RedisResult>> command, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var db = _redis.GetDatabase();
        try
        {
            return await command(db).WaitAsync(_options.CommandTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw Unavailable(what, $"no answer within {_options.CommandTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s", e);
        }
        catch (RedisConnectionException e)
        {
            throw Unavailable(what, e.Message, e);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("LOADING", StringComparison.Ordinal))
        {
            throw Unavailable(what, e.Message, e);
        }
    }

    /// <summary>One command over a RESP connection; connection failures and timeouts become <see cref="QueueUnavailableException"/>,
    /// a LOADING answer too (Redis is reading its AOF after a restart). Other error replies are returned.</summary>
    private async Task<RespReply> RunResp(RespClient client, string what, ArrayBufferWriter<byte> command, TimeSpan timeout, CancellationToken cancellationToken, bool closeOnCancel = false)
    {
        cancellationToken.ThrowIfCancellationRequested();
        RespReply reply;
        try
        {
            reply = await client.SendAsync(command, timeout, cancellationToken, closeOnCancel).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw Unavailable(what, $"no answer within {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s", e);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidDataException or ObjectDisposedException && !cancellationToken.IsCancellationRequested)
        {
            throw Unavailable(what, e.Message, e);
        }
        if (reply.IsError && reply.Text!.StartsWith("LOADING", StringComparison.Ordinal)) throw Unavailable(what, reply.Text, null);
        return reply;
    }

    private InvalidOperationException Refused(string what, RespReply reply) =>
        new($"redis {_commands.Endpoint}: {what} on stream {_options.StreamKey} was refused: {reply.Text}");

    private QueueUnavailableException Unavailable(string what, string why, Exception? inner) =>
        new($"redis {string.Join(",", _redis.GetEndPoints().Select(e => e.ToString()))}: {what} on stream {_options.StreamKey} failed: {why}; retry (appends are idempotent by trajectory id)", inner);
}

/// <summary>A stream entry as Redis returned it: [id, [field, value, ...]] with the fields we write ("id", "p").</summary>
internal readonly record struct RawEntry(string EntryId, string? TrajectoryId, byte[]? Payload)
{
    public static RawEntry From(RespReply entry)
    {
        var parts = entry.AsArray();
        var fields = parts[1].Kind == RespKind.Null ? [] : parts[1].AsArray();
        string? id = null;
        byte[]? payload = null;
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            var name = fields[i].Bulk;
            if (name is [(byte)'p']) payload = fields[i + 1].Bulk;
            else if (name is [(byte)'i', (byte)'d']) id = fields[i + 1].AsString();
        }
        return new RawEntry(parts[0].AsString(), id, payload);
    }

    public static RawEntry From(RedisResult entry)
    {
        var e = (RedisResult[])entry!;
        var fields = (RedisResult[])e[1]!;
        string? id = null;
        byte[]? payload = null;
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            var name = (string)fields[i]!;
            if (name == "p") payload = (byte[])fields[i + 1]!;
            else if (name == "id") id = (string)fields[i + 1]!;
        }
        return new RawEntry((string)e[0]!, id, payload);
    }
}
