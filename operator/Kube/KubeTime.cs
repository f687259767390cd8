namespace AgentOps.Operator.Kube;

/// <summary>metav1.MicroTime values for KubernetesClient's typed models (Lease renewTime, Event eventTime).</summary>
public static class KubeTime
{
    /// <summary>
    /// Truncated to microseconds. KubernetesClient writes a time with no sub-second part as "…:00Z", which the API
    /// server's MicroTime parser rejects (400, seen on v1.28 with a fake clock at a whole second), so such a time moves
    /// by one microsecond.
    /// </summary>
    public static DateTime Micro(DateTimeOffset t)
    {
        var utc = new DateTime(t.UtcTicks - t.UtcTicks % 10, DateTimeKind.Utc);
        return utc.Ticks % TimeSpan.TicksPerSecond == 0 ? utc.AddTicks(10) : utc;
    }
}
