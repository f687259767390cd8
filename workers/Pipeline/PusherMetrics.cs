using System.Diagnostics.Metrics;

namespace AgentOps.Workers.Pipeline;

/// <summary>Pusher metrics (issue 3); labels are fixed small sets.</summary>
public sealed class PusherMetrics : IDisposable
{
    public const string MeterName = "AgentOps.Pusher";
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _enqueued;
    private readonly Counter<long> _acknowledged;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _invalid;
    private readonly Histogram<double> _pushSeconds;
    private readonly Histogram<double> _enqueueWaitSeconds;

    public PusherMetrics(Func<int>? buffered = null)
    {
        _enqueued = _meter.CreateCounter<long>("agentops_pusher_enqueued", description: "Trajectories handed to the pusher");
        _acknowledged = _meter.CreateCounter<long>("agentops_pusher_acknowledged", description: "Trajectories the gateway acknowledged, by outcome (accepted, duplicate)");
        _retries = _meter.CreateCounter<long>("agentops_pusher_retries", description: "Push calls retried, by status code");
        _invalid = _meter.CreateCounter<long>("agentops_pusher_invalid", description: "Trajectories the gateway refused as INVALID_ARGUMENT (logged with the reason)");
        _pushSeconds = _meter.CreateHistogram<double>("agentops_pusher_push_seconds", unit: "s", description: "One batch from first attempt to ack, retries included");
        _enqueueWaitSeconds = _meter.CreateHistogram<double>("agentops_pusher_enqueue_wait_seconds", unit: "s", description: "Time EnqueueAsync waited for buffer space (the agent loop slowed)");
        if (buffered != null) _meter.CreateObservableGauge("agentops_pusher_buffered", buffered, description: "Trajectories waiting in the buffer");
    }

    public void Enqueued(TimeSpan waited)
    {
        _enqueued.Add(1);
        _enqueueWaitSeconds.Record(waited.TotalSeconds);
    }

    public void Acknowledged(ulong accepted, ulong duplicates)
    {
        _acknowledged.Add((long)accepted, new KeyValuePair<string, object?>("outcome", "accepted"));
        _acknowledged.Add((long)duplicates, new KeyValuePair<string, object?>("outcome", "duplicate"));
    }

    public void Retry(string code) => _retries.Add(1, new KeyValuePair<string, object?>("code", code));
    public void Invalid() => _invalid.Add(1);
    public void Pushed(TimeSpan elapsed) => _pushSeconds.Record(elapsed.TotalSeconds);

    public void Dispose() => _meter.Dispose();
}
