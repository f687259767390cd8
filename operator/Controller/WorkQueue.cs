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
    private readonly HashSet<ITimer> _timers = [];
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

    /// <summary>client-go AddAfter: a timer on the TimeProvider adds the key when due.</summary>
    public void AddAfter(T item, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero) { Add(item); return; }
        lock (_gate)
        {
            if (_shutdown) return;
            ITimer? timer = null;
            timer = _time.CreateTimer(_ =>
            {
                lock (_gate) _timers.Remove(timer!);
                timer!.Dispose();
                Add(item);
            }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timers.Add(timer);
            timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
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
            foreach (var t in _timers) t.Dispose();
            _timers.Clear();
        }
        _available.Release(int.MaxValue / 2);
    }

    public void Dispose() => ShutDown();
}
