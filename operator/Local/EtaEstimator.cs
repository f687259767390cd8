using AgentOps.Protos.Api;
namespace AgentOps.Operator.Local;

/// <summary>Remaining time from the step rate over the last minute of `/status` samples (reset per phase).</summary>
public sealed class EtaEstimator(TimeProvider time)
{
    private readonly Queue<(DateTimeOffset Time, long Step)> _samples = new();
    private string _phase = "";

    public TimeSpan? Observe(TrainerStatusReport status)
    {
        var now = time.GetUtcNow();
        if (status.Phase != _phase) { _samples.Clear(); _phase = status.Phase; }
        _samples.Enqueue((now, status.Step));
        while (_samples.Count > 2 && now - _samples.Peek().Time > TimeSpan.FromSeconds(60)) _samples.Dequeue();
        var (t0, s0) = _samples.Peek();
        var seconds = (now - t0).TotalSeconds;
        var steps = status.Step - s0;
        if (seconds <= 0 || steps <= 0 || status.TotalSteps <= status.Step) return null;
        return TimeSpan.FromSeconds((status.TotalSteps - status.Step) * seconds / steps);
    }
}
