using AgentOps.Protos.Api;

namespace AgentOps.Trainer.Training;

/// <summary>The trainer's live state, written by the training loop and read by /status and Policy.Info.</summary>
public sealed class TrainerStatus
{
    private TrainerStatusReport _current;

    public TrainerStatus(string phase, long step, long totalSteps, long policyVersion) =>
        _current = new TrainerStatusReport(phase, step, totalSteps, policyVersion, 0, 0, 0, 0, 0);

    public TrainerStatusReport Current => Volatile.Read(ref _current);

    public void Update(Func<TrainerStatusReport, TrainerStatusReport> change)
    {
        while (true)
        {
            var before = Volatile.Read(ref _current);
            if (Interlocked.CompareExchange(ref _current, change(before), before) == before) return;
        }
    }
}
