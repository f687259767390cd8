namespace AgentOps.Workers.Environments.Countdown;

/// <summary>countdown's settings: how many numbers are given (numbers, 2-6, default 4) and the largest target (maxTarget, default 999).</summary>
public sealed record CountdownSettings(int Numbers = 4, int MaxTarget = 999)
{
    public static CountdownSettings Read(EnvironmentSettings s) =>
        new(s.Int("numbers", 4, min: 2, max: 6), s.Int("maxTarget", 999, min: 10));
}
