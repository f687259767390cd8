using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace AgentOps.Operator.Controller;

/// <summary>
/// The operator's instruments (System.Diagnostics.Metrics, exported as Prometheus text by the shared exporter).
/// Labels are low-cardinality: the kind or the queue name, never an object's name.
/// </summary>
public sealed class OperatorMetrics : IDisposable
{
    public const string MeterName = "AgentOps.Operator";

    private readonly Meter _meter;
    private readonly Histogram<double> _reconcileDuration;
    private readonly Counter<long> _reconcileErrors;
    private readonly Counter<long> _reconcileTotal;
    private readonly Counter<long> _queueAdds;
    private readonly Counter<long> _queueRetries;
    private readonly Histogram<double> _queueLatency;
    private readonly ConcurrentDictionary<string, Func<int>> _queues = new();
    private volatile int _leader;

    /// <summary>This instance's meter (a MeterListener in tests and the bench tells it from other operators' in the process).</summary>
    public Meter Meter => _meter;

    public OperatorMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _reconcileDuration = _meter.CreateHistogram<double>("agentops_operator_reconcile_duration_seconds", "s", "Time of one reconcile, by kind");
        _reconcileErrors = _meter.CreateCounter<long>("agentops_operator_reconcile_errors_total", null, "Reconciles that failed and were re-queued, by kind");
        _reconcileTotal = _meter.CreateCounter<long>("agentops_operator_reconcile_total", null, "Reconciles run, by kind");
        _queueAdds = _meter.CreateCounter<long>("agentops_operator_workqueue_adds_total", null, "Keys added to a work queue");
        _queueRetries = _meter.CreateCounter<long>("agentops_operator_workqueue_retries_total", null, "Rate-limited re-queues");
        _queueLatency = _meter.CreateHistogram<double>("agentops_operator_workqueue_queue_duration_seconds", "s", "Time a key waited in the queue before a worker took it");
        _meter.CreateObservableGauge("agentops_operator_workqueue_depth",
            () => _queues.Select(q => new Measurement<int>(q.Value(), new KeyValuePair<string, object?>("queue", q.Key))), null, "Keys waiting in a work queue");
        _meter.CreateObservableGauge("agentops_operator_leader", () => _leader, null, "1 while this replica holds the leader lease");
    }

    public void RegisterQueue(string name, Func<int> depth) => _queues[name] = depth;
    public void QueueAdd(string queue) => _queueAdds.Add(1, new KeyValuePair<string, object?>("queue", queue));
    public void QueueRetry(string queue) => _queueRetries.Add(1, new KeyValuePair<string, object?>("queue", queue));
    public void QueueLatency(string queue, double seconds) => _queueLatency.Record(seconds, new KeyValuePair<string, object?>("queue", queue));

    public void Reconciled(string kind, double seconds, bool failed)
    {
        var tag = new KeyValuePair<string, object?>("kind", kind);
        _reconcileDuration.Record(seconds, tag);
        _reconcileTotal.Add(1, tag);
        if (failed) _reconcileErrors.Add(1, tag);
    }

    public void SetLeader(bool leader) => _leader = leader ? 1 : 0;

    public void Dispose() => _meter.Dispose();
}
