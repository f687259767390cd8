namespace AgentOps.Trainer.Training;

/// <summary>The phase executors follow through Policy.Info (policy.proto): sft, rl, done.</summary>
public static class TrainerPhase
{
    public const string Sft = "sft";
    public const string Rl = "rl";
    public const string Done = "done";

    /// <summary>The phase in which step <paramref name="step"/> (0-based, the next to run) happens.</summary>
    public static string At(long step, TrainerOptions options) =>
        step < options.SftPhaseSteps ? Sft : step < options.TotalSteps ? Rl : Done;
}
