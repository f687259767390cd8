namespace AgentOps.Trainer.Training;

/// <summary>The phase executors follow through Policy.Info (policy.proto): sft, rl, done.</summary>
public static class TrainerPhase
{
    public const string Sft = "sft";
    public const string Rl = "rl";
    public const string Done = "done";
}

/// <summary>How many steps each phase has. SFT's length starts as the manifest's steps and becomes the step it
/// actually ended at when a target loss ends it sooner (<see cref="SftLossTarget"/>); checkpoints keep that length.</summary>
public sealed record PhasePlan(long SftSteps, long RlSteps)
{
    public long TotalSteps => SftSteps + RlSteps;

    /// <summary>The phase in which step <paramref name="step"/> (0-based, the next to run) happens.</summary>
    public string At(long step) => step < SftSteps ? TrainerPhase.Sft : step < TotalSteps ? TrainerPhase.Rl : TrainerPhase.Done;

    public static PhasePlan From(TrainerOptions options) => new(options.SftPhaseSteps, options.RlPhaseSteps);
}
