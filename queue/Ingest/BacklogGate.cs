using AgentOps.Queue;

namespace AgentOps.Queue.Ingest;

/// <summary>
/// Backpressure (DESIGN.md, "Queue semantics"): reads the queue's unconsumed backlog at most once per interval
/// and says whether a new append must wait. The reading is shared by every stream of the service.
/// </summary>
internal sealed class BacklogGate(ITrajectoryQueue queue, IngestOptions options)
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private long _lag;
    private long _readAt = long.MinValue;

    /// <summary>The backlog when it is over the bound, else null.</summary>
    public async ValueTask<long?> OverBoundAsync(CancellationToken cancellationToken)
    {
        if (options.MaxBacklog <= 0) return null;
        var time = options.TimeProvider;
        if (_readAt == long.MinValue || time.GetElapsedTime(Volatile.Read(ref _readAt)) >= options.BacklogCheckInterval)
        {
            await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_readAt == long.MinValue || time.GetElapsedTime(_readAt) >= options.BacklogCheckInterval)
                {
                    var stats = await queue.GetStatsAsync(cancellationToken).ConfigureAwait(false);
                    Volatile.Write(ref _lag, stats.Lag);
                    Volatile.Write(ref _readAt, time.GetTimestamp());
                }
            }
            finally
            {
                _refresh.Release();
            }
        }
        var lag = Volatile.Read(ref _lag);
        return lag > options.MaxBacklog ? lag : null;
    }
}
