using AgentOps.Protos.V1;

namespace AgentOps.Workers.Export;

/// <summary>
/// LAM SIMULATOR's post-hoc filter: keep a trajectory only when its outcome is allowed, its reward reaches
/// <see cref="MinReward"/> and (optionally) every turn was well-formed. Infrastructure failures are never kept.
/// </summary>
/// <param name="MinReward">Manifest `spec.export.minReward`.</param>
/// <param name="Outcomes">Allowed outcomes; default only ANSWERED.</param>
/// <param name="RequireFormat">Drop trajectories whose reward breakdown has format &lt; 1.</param>
/// <param name="RequireExecuted">Drop trajectories that never ran a cell successfully (tool-use demonstrations only).</param>
/// <param name="Splits">Allowed splits; null for any. The executor's export allows only "train" (the policy's own RL episodes).</param>
public sealed record TrajectoryFilter(
    double MinReward = 1.0,
    IReadOnlySet<OutcomeStatus>? Outcomes = null,
    bool RequireFormat = true,
    bool RequireExecuted = false,
    IReadOnlySet<string>? Splits = null)
{
    /// <summary>Null when kept, else why not (for counting and for logs).</summary>
    public string? Reject(Trajectory t)
    {
        if (Splits is not null && !Splits.Contains(t.Split)) return $"split {t.Split}";
        var status = t.Outcome?.Status ?? OutcomeStatus.Unspecified;
        if (status.IsInfrastructureFailure()) return "infrastructure failure";
        if (!(Outcomes ?? DefaultOutcomes).Contains(status)) return $"outcome {status}";
        var reward = t.Reward?.Total ?? 0;
        if (reward < MinReward) return $"reward {reward} < minReward {MinReward}";
        if (RequireFormat && t.Reward!.Components.TryGetValue("format", out var f) && f < 1) return "format";
        if (RequireExecuted && (!t.Reward!.Components.TryGetValue("executed", out var e) || e < 1)) return "no cell executed";
        return null;
    }

    private static readonly IReadOnlySet<OutcomeStatus> DefaultOutcomes = new HashSet<OutcomeStatus> { OutcomeStatus.Answered };
}
