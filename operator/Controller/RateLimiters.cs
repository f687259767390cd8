namespace AgentOps.Operator.Controller;

/// <summary>client-go workqueue.TypedRateLimiter: how long to wait before an item is retried.</summary>
public interface IRateLimiter<in T>
{
    TimeSpan When(T item);
    void Forget(T item);
    int NumRequeues(T item);
}

/// <summary>client-go ItemExponentialFailureRateLimiter: base * 2^failures per key, capped (5 ms .. 1000 s by default).</summary>
public sealed class ItemExponentialFailureRateLimiter<T>(TimeSpan baseDelay, TimeSpan maxDelay) : IRateLimiter<T> where T : notnull
{
    private readonly Dictionary<T, int> _failures = [];

    public TimeSpan When(T item)
    {
        lock (_failures)
        {
            var n = _failures.GetValueOrDefault(item);
            _failures[item] = n + 1;
            var delay = baseDelay.TotalSeconds * Math.Pow(2, n);
            return delay > maxDelay.TotalSeconds || double.IsInfinity(delay) ? maxDelay : TimeSpan.FromSeconds(delay);
        }
    }

    public void Forget(T item) { lock (_failures) _failures.Remove(item); }

    public int NumRequeues(T item) { lock (_failures) return _failures.GetValueOrDefault(item); }
}

/// <summary>
/// client-go BucketRateLimiter (golang.org/x/time/rate.Limiter.Reserve): an overall token bucket of
/// <c>qps</c> tokens a second, <c>burst</c> deep; each retry reserves a token and waits until it is due.
/// </summary>
public sealed class BucketRateLimiter<T>(double qps, int burst, TimeProvider time) : IRateLimiter<T>
{
    private readonly object _gate = new();
    private double _tokens = burst;
    private DateTimeOffset _last = time.GetUtcNow();

    public TimeSpan When(T item)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            _tokens = Math.Min(burst, _tokens + (now - _last).TotalSeconds * qps);
            _last = now;
            _tokens -= 1;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / qps);
        }
    }

    public void Forget(T item) { }
    public int NumRequeues(T item) => 0;
}

/// <summary>client-go MaxOfRateLimiter: the longest wait of several limiters.</summary>
public sealed class MaxOfRateLimiter<T>(params IRateLimiter<T>[] limiters) : IRateLimiter<T>
{
    public TimeSpan When(T item) => limiters.Select(l => l.When(item)).Max();
    public void Forget(T item) { foreach (var l in limiters) l.Forget(item); }
    public int NumRequeues(T item) => limiters.Max(l => l.NumRequeues(item));
}

public static class RateLimiters
{
    /// <summary>client-go DefaultTypedControllerRateLimiter: per-key 5 ms..1000 s exponential, overall 10 qps / 100 burst.</summary>
    public static IRateLimiter<T> DefaultController<T>(TimeProvider time) where T : notnull =>
        new MaxOfRateLimiter<T>(
            new ItemExponentialFailureRateLimiter<T>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000)),
            new BucketRateLimiter<T>(10, 100, time));
}
