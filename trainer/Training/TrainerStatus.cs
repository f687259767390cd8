using System.Text.Json;

namespace AgentOps.Trainer.Training;

/// <summary>The JSON served at /status (TEAM.md contract); an immutable snapshot.</summary>
public sealed record TrainerStatusSnapshot(
    string Phase,
    long Step,
    long TotalSteps,
    long PolicyVersion,
    double MeanReward,
    double SuccessRate,
    long TrajectoriesIngested,
    double TokensPerSecond,
    double TrajectoriesPerSecond)
{
    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("phase", Phase);
            w.WriteNumber("step", Step);
            w.WriteNumber("totalSteps", TotalSteps);
            w.WriteNumber("policyVersion", PolicyVersion);
            w.WriteNumber("meanReward", Finite(MeanReward));
            w.WriteNumber("successRate", Finite(SuccessRate));
            w.WriteNumber("trajectoriesIngested", TrajectoriesIngested);
            w.WriteNumber("tokensPerSecond", Finite(TokensPerSecond));
            w.WriteNumber("trajectoriesPerSecond", Finite(TrajectoriesPerSecond));
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    private static double Finite(double v) => double.IsFinite(v) ? v : 0;
}

/// <summary>The trainer's live state, written by the training loop and read by /status and Policy.Info.</summary>
public sealed class TrainerStatus
{
    private TrainerStatusSnapshot _current;

    public TrainerStatus(string phase, long step, long totalSteps, long policyVersion) =>
        _current = new TrainerStatusSnapshot(phase, step, totalSteps, policyVersion, 0, 0, 0, 0, 0);

    public TrainerStatusSnapshot Current => Volatile.Read(ref _current);

    public void Update(Func<TrainerStatusSnapshot, TrainerStatusSnapshot> change)
    {
        while (true)
        {
            var before = Volatile.Read(ref _current);
            if (Interlocked.CompareExchange(ref _current, change(before), before) == before) return;
        }
    }
}
