using AgentOps.Protos.Api;
namespace AgentOps.Operator.Local;

/// <summary>
/// Remaining time of the current phase from the times at which the step counter moved (not from when `/status`
/// happened to be polled: with 30 s steps a 60 s polling window held one or two steps by chance and the ETA
/// jumped between two values). The rate is taken over the step changes of the last two minutes (at least the
/// last four; the first step seen in a phase is not timed, it began before we looked); the time already spent on
/// the step in progress is subtracted, so the ETA counts down between steps and never goes below zero. Reset per
/// phase.
/// </summary>
public sealed class EtaEstimator(TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(2);
    private const int MinChanges = 4;
    private readonly Queue<(DateTimeOffset Time, long Step)> _changes = new();
    private string _phase = "";
    private long _lastStep = -1;

    public TimeSpan? Observe(TrainerStatusReport status)
    {
        var now = time.GetUtcNow();
        if (status.Phase != _phase) { _changes.Clear(); _phase = status.Phase; _lastStep = status.Step; }
        // The first step seen in a phase started at an unknown time: only moves of the counter are timed.
        if (status.Step != _lastStep) { _changes.Enqueue((now, status.Step)); _lastStep = status.Step; }
        while (_changes.Count > MinChanges && now - _changes.Peek().Time > Window) _changes.Dequeue();
        if (_changes.Count < 2 || status.TotalSteps <= status.Step) return null;
        var (t0, s0) = _changes.Peek();
        var (t1, s1) = _changes.Last();
        var secondsPerStep = (t1 - t0).TotalSeconds / (s1 - s0);
        if (secondsPerStep <= 0) return null;
        var left = (status.TotalSteps - status.Step) * secondsPerStep - (now - t1).TotalSeconds;
        return TimeSpan.FromSeconds(Math.Max(0, left));
    }
}
