namespace AgentOps.Trainer.Training;

/// <summary>Linear warmup from 0 to the peak over <c>warmupSteps</c>, then constant (DESIGN.md: lr with warmup).</summary>
public static class LearningRateSchedule
{
    public static double At(long phaseStep, double peak, int warmupSteps) =>
        warmupSteps <= 0 || phaseStep >= warmupSteps ? peak : peak * (phaseStep + 1) / warmupSteps;
}
