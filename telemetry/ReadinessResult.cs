namespace AgentOps.Telemetry;

/// <summary>What one readiness check found; <see cref="Detail"/> says why when not ready.</summary>
public sealed record ReadinessResult(bool IsReady, string Detail)
{
    public static ReadinessResult Ready(string detail = "ok") => new(true, detail);

    public static ReadinessResult NotReady(string reason) => new(false, reason);
}
