using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AgentOps.Queue.Ingest;

/// <summary>Ingest metrics (issue 3, "Metrics"); labels are fixed small sets (outcome, reason), never ids.</summary>
public sealed class IngestMetrics : IDisposable
{
    public const string MeterName = "AgentOps.Ingest";
    private readonly Meter _meter;
    private readonly Counter<long> _trajectories;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _rejections;
    private readonly Histogram<double> _pushSeconds;
    private readonly Histogram<double> _appendSeconds;

    public IngestMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _trajectories = _meter.CreateCounter<long>("agentops_ingest_trajectories", description: "Trajectories acknowledged, by outcome (appended, duplicate)");
        _bytes = _meter.CreateCounter<long>("agentops_ingest_bytes", unit: "By", description: "Serialized bytes of appended trajectories");
        _rejections = _meter.CreateCounter<long>("agentops_ingest_rejections", description: "Pushes refused, by reason");
        _pushSeconds = _meter.CreateHistogram<double>("agentops_ingest_push_seconds", unit: "s", description: "Push call duration, first message to ack");
        _appendSeconds = _meter.CreateHistogram<double>("agentops_ingest_append_seconds", unit: "s", description: "Queue append latency per batch (one queue round trip)");
    }

    /// <param name="bytes">Serialized bytes of the appended trajectories (duplicates are not stored again).</param>
    public void Appended(int appended, int duplicates, long bytes)
    {
        if (appended > 0) _trajectories.Add(appended, new KeyValuePair<string, object?>("outcome", "appended"));
        if (duplicates > 0) _trajectories.Add(duplicates, new KeyValuePair<string, object?>("outcome", "duplicate"));
        if (bytes > 0) _bytes.Add(bytes);
    }

    public void Rejected(string reason) => _rejections.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void AppendLatency(TimeSpan elapsed) => _appendSeconds.Record(elapsed.TotalSeconds);

    public void PushCompleted(TimeSpan elapsed, string code) =>
        _pushSeconds.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("code", code));

    public void Dispose() => _meter.Dispose();
}
