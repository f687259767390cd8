using System.Diagnostics;

namespace AgentOps.Operator.Controller;

/// <summary>
/// client-go workqueue (Typed, delaying, rate-limited): a key queued twice is held once (dirty set); a key
/// being processed is never handed to a second worker — if it changes meanwhile it is re-queued when the
/// first worker calls <see cref="Done"/>. Delays run on the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class WorkQueue<T> : IDisposable where T : notnull
{
    private readonly object _gate = new();
    private readonly Queue<T> _queue = new();
    private readonly HashSet<T> _dirty = [];
    private readonly HashSet<T> _processing = [];
    private readonly Dictionary<T, long> _addedAt = [];
    /// <summary>client-go delaying queue's waitingForQueue: one pending timer per key, due at the earliest time asked for.</summary>
    private readonly Dictionary<T, (ITimer Timer, DateTimeOffset ReadyAt)> _waiting = [];
    private readonly SemaphoreSlim _available = new(0);
    private readonly IRateLimiter<T> _limiter;
    private readonly TimeProvider _time;
    private readonly OperatorMetrics? _metrics;
    private readonly string _name;
    private bool _shutdown;

    public WorkQueue(string name, IRateLimiter<T> limiter, TimeProvider time, OperatorMetrics? metrics = null)
    {
        _name = name;
        _limiter = limiter;
        _time = time;
        _metrics = metrics;
        metrics?.RegisterQueue(name, () => Count);
    }

    /// <summary>Keys waiting (not counting those being processed): the depth gauge.</summary>
    public int Count { get { lock (_gate) return _queue.Count; } }

    public void Add(T item)
    {
        lock (_gate)
        {
            if (_shutdown || !_dirty.Add(item)) return;
            _metrics?.QueueAdd(_name);
            _addedAt[item] = Stopwatch.GetTimestamp();
            if (_processing.Contains(item)) return;
            _queue.Enqueue(item);
        }
        _available.Release();
    }

    /// <summary>
    /// client-go delayingType.AddAfter: the key is added when due. A key already waiting keeps one timer, due at the
    /// earlier of the two times (waitingForQueue / insert: "if the entry is already in the heap, update its readyAt only
    /// if it's earlier"), so repeated requeues of one key never pile up timers.
    /// </summary>
    public void AddAfter(T item, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero) { Add(item); return; }
        lock (_gate)
        {
            if (_shutdown) return;
            var readyAt = _time.GetUtcNow() + delay;
            if (_waiting.TryGetValue(item, out var waiting))
            {
                if (waiting.ReadyAt <= readyAt) return;
                waiting.Timer.Change(delay, Timeout.InfiniteTimeSpan);
                _waiting[item] = (waiting.Timer, readyAt);
                return;
            }
            var timer = _time.CreateTimer(_ => Fire(item), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _waiting[item] = (timer, readyAt);
            timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Keys waiting on a timer (tests and the depth of the delaying part).</summary>
    public int Waiting { get { lock (_gate) return _waiting.Count; } }

    private void Fire(T item)
    {
        lock (_gate)
        {
            if (!_waiting.Remove(item, out var waiting)) return;
            waiting.Timer.Dispose();
        }
        Add(item);
    }

    /// <summary>Re-queue after the rate limiter's delay (per-key exponential backoff and the overall bucket).</summary>
    public void AddRateLimited(T item)
    {
        _metrics?.QueueRetry(_name);
        AddAfter(item, _limiter.When(item));
    }

    /// <summary>Stop backing off this key (after a successful reconcile).</summary>
    public void Forget(T item) => _limiter.Forget(item);

    public int NumRequeues(T item) => _limiter.NumRequeues(item);

    /// <summary>Waits for a key; the caller must call <see cref="Done"/> with it. Null once shut down.</summary>
    public async Task<T?> GetAsync(CancellationToken ct)
    {
        while (true)
        {
            try { await _available.WaitAsync(ct); }
            catch (OperationCanceledException) { return default; }
            lock (_gate)
            {
                if (_shutdown) return default;
                if (!_queue.TryDequeue(out var item)) continue;
                _processing.Add(item);
                _dirty.Remove(item);
                if (_addedAt.Remove(item, out var t)) _metrics?.QueueLatency(_name, Stopwatch.GetElapsedTime(t).TotalSeconds);
                return item;
            }
        }
    }

    public void Done(T item)
    {
        var requeue = false;
        lock (_gate)
        {
            _processing.Remove(item);
            if (_dirty.Contains(item)) { _queue.Enqueue(item); requeue = true; }
        }
        if (requeue) _available.Release();
    }

    public void ShutDown()
    {
        lock (_gate)
        {
            _shutdown = true;
            foreach (var (timer, _) in _waiting.Values) timer.Dispose();
            _waiting.Clear();
        }
        _available.Release(int.MaxValue / 2);
    }

    public void Dispose() => ShutDown();
}
