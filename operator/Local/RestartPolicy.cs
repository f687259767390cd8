namespace AgentOps.Operator.Local;

/// <summary>
/// Restart with exponential backoff, as a kubelet does for CrashLoopBackOff (10 s doubling to 5 min there;
/// shorter here because a local run is minutes long). Exit code 0 is a finished child, never restarted;
/// exit code 2 is a usage or manifest error (our CLIs' convention), which a restart cannot fix.
/// </summary>
public sealed record RestartPolicy(TimeSpan InitialBackoff, TimeSpan MaxBackoff, int MaxRestarts)
{
    public static RestartPolicy Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 5);

    public const int UsageErrorExitCode = 2;

    public TimeSpan BackoffFor(int restart) =>
        TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, InitialBackoff.Ticks * (1L << Math.Min(restart, 20))));
}
