using System.Collections.Concurrent;
using AgentOps.Operator.Kube;

namespace AgentOps.Operator.Reconcile;

/// <summary>
/// When each run's trainer /status is due to be read: at most once per <see cref="ReconcileOptions.ProgressPollInterval"/>,
/// however many reconciles a run gets from watch events in between (issue 20, bug 2: every reconcile polled).
/// </summary>
public sealed class ProgressPollSchedule(TimeProvider time, TimeSpan interval)
{
    private readonly ConcurrentDictionary<ObjectKey, DateTimeOffset> _last = new();

    /// <summary>True (and the poll is booked) when the run was not polled within the interval.</summary>
    public bool TryBook(ObjectKey run)
    {
        var now = time.GetUtcNow();
        while (true)
        {
            if (!_last.TryGetValue(run, out var last)) { if (_last.TryAdd(run, now)) return true; continue; }
            if (now - last < interval) return false;
            if (_last.TryUpdate(run, now, last)) return true;
        }
    }

    /// <summary>How long until the run's next poll is due (the requeue delay of a live run).</summary>
    public TimeSpan Until(ObjectKey run)
    {
        var left = _last.TryGetValue(run, out var last) ? last + interval - time.GetUtcNow() : TimeSpan.Zero;
        return left > TimeSpan.Zero ? left : interval;
    }

    public void Forget(ObjectKey run) => _last.TryRemove(run, out _);
}
