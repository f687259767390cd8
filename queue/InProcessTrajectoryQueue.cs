using AgentOps.Protos.V1;

namespace AgentOps.Queue;

/// <summary>
/// The embedded queue of <c>agentops run</c> (no Redis): the same semantics as <see cref="RedisTrajectoryQueue"/>
/// in memory — one consumer group, a pending list per entry until acknowledged, claims by idle time
/// (Redis Streams: XADD MAXLEN, XREADGROUP &gt;, XACK, XAUTOCLAIM), idempotent appends by trajectory id.
/// Entry ids are "SEQ-0" with SEQ counting from 1. Thread-safe.
/// </summary>
public sealed class InProcessTrajectoryQueue : ITrajectoryQueue
{
    private readonly InProcessQueueOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<long, Trajectory> _entries = [];
    private readonly SortedDictionary<long, PendingEntry> _pending = [];
    private readonly Dictionary<string, (long Seq, long ExpiresAt)> _ids = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, long ExpiresAt)> _idExpiry = new();
    private TaskCompletionSource _appended = NewSignal();
    private long _headSeq = 1;
    private long _nextSeq = 1;
    private long _lastDelivered;
    private bool _disposed;

    public InProcessTrajectoryQueue(InProcessQueueOptions? options = null)
    {
        _options = options ?? new InProcessQueueOptions();
        if (_options.MaxLength < 1) throw new ArgumentOutOfRangeException(nameof(options), $"InProcessQueueOptions.MaxLength must be at least 1, got {_options.MaxLength}");
        _time = _options.TimeProvider;
    }

    /// <summary>Never raised: this queue keeps parsed messages (appends take a Trajectory), so no entry can be corrupt.</summary>
    public event Action<DeadLetter>? DeadLettered
    {
        add { }
        remove { }
    }

    public Task<AppendOutcome> AppendAsync(Trajectory trajectory, CancellationToken cancellationToken = default)
    {
        QueueArguments.CheckTrajectory(trajectory);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Append([trajectory.Clone()])[0]); // the caller may reuse its message; the queue keeps what was appended
    }

    /// <summary>Stores a parse of each one's bytes (what a Redis reader gets back), which is the queue's own copy.</summary>
    public Task<IReadOnlyList<AppendOutcome>> AppendSerializedAsync(IReadOnlyList<SerializedTrajectory> trajectories, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trajectories);
        foreach (var t in trajectories) QueueArguments.CheckSerialized(t); // all checked before any is stored
        var parsed = trajectories.Select(t => t.Message).ToList();
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Append(parsed));
    }

    public Task<IReadOnlyList<AppendOutcome>> AppendBatchAsync(IReadOnlyList<Trajectory> trajectories, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trajectories);
        foreach (var t in trajectories) QueueArguments.CheckTrajectory(t); // all checked before any is stored
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Append(trajectories.Select(t => t.Clone()).ToList()));
    }

    /// <summary>
    /// Stores the batch itself (the caller hands over copies no one else holds) under one lock and wakes readers once, so
    /// a waiting reader takes the whole batch: with a wake-up per trajectory it took them one at a time (pipeline bench,
    /// 4 KiB, "no redis": 132 µs of CPU per trajectory against 60 through Redis, whose reads come in batches).
    /// </summary>
    private IReadOnlyList<AppendOutcome> Append(IReadOnlyList<Trajectory> batch)
    {
        var outcomes = new AppendOutcome[batch.Count];
        TaskCompletionSource? signal = null;
        lock (_lock)
        {
            ThrowIfDisposed();
            var now = _time.GetTimestamp();
            ExpireIds(now);
            var expires = now + (long)(_options.IdempotencyTtl.TotalSeconds * _time.TimestampFrequency);
            for (var i = 0; i < batch.Count; i++)
            {
                var trajectory = batch[i];
                if (_ids.ContainsKey(trajectory.TrajectoryId))
                {
                    outcomes[i] = AppendOutcome.Duplicate;
                    continue;
                }
                var seq = _nextSeq++;
                _entries[seq] = trajectory;
                _ids[trajectory.TrajectoryId] = (seq, expires);
                _idExpiry.Enqueue((trajectory.TrajectoryId, expires));
                outcomes[i] = AppendOutcome.Appended;
            }
            while (_entries.Count > _options.MaxLength) _entries.Remove(_headSeq++);
            if (outcomes.Contains(AppendOutcome.Appended))
            {
                signal = _appended;
                _appended = NewSignal();
            }
        }
        signal?.TrySetResult();
        return outcomes;
    }

    public async Task<IReadOnlyList<QueueEntry>> ReadAsync(string consumer, int maxCount, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        QueueArguments.CheckRead(consumer, maxCount);
        var started = _time.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Task signal;
            lock (_lock)
            {
                ThrowIfDisposed();
                var batch = TakeNew(consumer, maxCount);
                if (batch.Count > 0) return batch;
                signal = _appended.Task;
            }
            var left = wait - _time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero) return [];
            try
            {
                await signal.WaitAsync(left, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return [];
            }
        }
    }

    public Task AcknowledgeAsync(IReadOnlyCollection<QueueEntry> entries, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            ThrowIfDisposed();
            foreach (var e in entries) _pending.Remove(ParseSeq(e.EntryId));
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<QueueEntry>> ClaimAbandonedAsync(string consumer, TimeSpan minIdle, int maxCount, CancellationToken cancellationToken = default)
    {
        QueueArguments.CheckRead(consumer, maxCount);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            ThrowIfDisposed();
            var now = _time.GetTimestamp();
            var claimed = new List<QueueEntry>();
            var gone = new List<long>();
            foreach (var (seq, p) in _pending)
            {
                if (claimed.Count >= maxCount) break;
                if (_time.GetElapsedTime(p.DeliveredAt, now) < minIdle) continue;
                if (!_entries.TryGetValue(seq, out var t))
                {
                    gone.Add(seq); // trimmed by MaxLength while pending: Redis 7's XAUTOCLAIM drops these from the PEL too
                    continue;
                }
                p.Consumer = consumer;
                p.DeliveredAt = now;
                p.Count++;
                claimed.Add(new QueueEntry(EntryId(seq), t, p.Count));
            }
            foreach (var seq in gone) _pending.Remove(seq);
            return Task.FromResult<IReadOnlyList<QueueEntry>>(claimed);
        }
    }

    public Task<QueueStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            ThrowIfDisposed();
            var lag = _nextSeq - Math.Max(_lastDelivered + 1, _headSeq);
            return Task.FromResult(new QueueStats(_entries.Count, _pending.Count, lag));
        }
    }

    public ValueTask DisposeAsync()
    {
        lock (_lock) _disposed = true;
        return ValueTask.CompletedTask;
    }

    private List<QueueEntry> TakeNew(string consumer, int maxCount)
    {
        var batch = new List<QueueEntry>();
        var now = _time.GetTimestamp();
        for (var seq = Math.Max(_lastDelivered + 1, _headSeq); seq < _nextSeq && batch.Count < maxCount; seq++)
        {
            _pending[seq] = new PendingEntry { Consumer = consumer, DeliveredAt = now, Count = 1 };
            batch.Add(new QueueEntry(EntryId(seq), _entries[seq], 1));
            _lastDelivered = seq;
        }
        return batch;
    }

    private void ExpireIds(long now)
    {
        while (_idExpiry.TryPeek(out var head) && head.ExpiresAt <= now)
        {
            _idExpiry.Dequeue();
            if (_ids.TryGetValue(head.Id, out var v) && v.ExpiresAt == head.ExpiresAt) _ids.Remove(head.Id);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static string EntryId(long seq) => $"{seq}-0";

    private static long ParseSeq(string entryId)
    {
        var dash = entryId.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || !long.TryParse(entryId.AsSpan(0, dash), out var seq))
            throw new ArgumentException($"entry id must look like \"SEQ-0\", got \"{entryId}\"", nameof(entryId));
        return seq;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class PendingEntry
    {
        public required string Consumer { get; set; }
        public long DeliveredAt { get; set; }
        public long Count { get; set; }
    }
}
