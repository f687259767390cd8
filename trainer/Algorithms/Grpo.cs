using AgentOps.Trainer.Rollout;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Algorithms;

/// <summary>GRPO knobs (DeepSeekMath GRPO; DAPO group filter; token-mean loss).</summary>
/// <param name="ClipRange">PPO ratio clip ε: ratios outside [1-ε, 1+ε] stop contributing gradient.</param>
/// <param name="KlCoef">β of the k3 KL estimator to the frozen reference model; 0 skips the reference forward pass.</param>
/// <param name="NormalizeByStd">Divide by the group's std (GRPO); false gives Dr. GRPO's mean-only baseline.</param>
/// <param name="StdEpsilon">Added to the group std before dividing.</param>
/// <param name="GroupFilter">Drop groups whose rewards are all equal (DAPO dynamic sampling).</param>
public sealed record GrpoOptions(
    double ClipRange = 0.2,
    double KlCoef = 0.0,
    bool NormalizeByStd = true,
    double StdEpsilon = 1e-6,
    bool GroupFilter = true);

/// <summary>GRPO advantages: every token of an episode gets (r - mean(group)) / (std(group) + eps).</summary>
public static class Grpo
{
    public static double[] GroupAdvantages(ReadOnlySpan<double> rewards, GrpoOptions options)
    {
        var (mean, std) = Normalization.MeanStd(rewards);
        var adv = new double[rewards.Length];
        for (var i = 0; i < rewards.Length; i++)
            adv[i] = options.NormalizeByStd ? (rewards[i] - mean) / (std + options.StdEpsilon) : rewards[i] - mean;
        return adv;
    }

    /// <summary>Per-row token advantages for a list of groups, rows in group order.</summary>
    public static (List<PackedTrajectory> Rows, List<float[]> Advantages) TokenAdvantages(IEnumerable<RolloutGroup> groups, GrpoOptions options)
    {
        var rows = new List<PackedTrajectory>();
        var advantages = new List<float[]>();
        foreach (var group in groups)
        {
            var adv = GroupAdvantages(group.Rewards(), options);
            for (var i = 0; i < group.Members.Count; i++)
            {
                rows.Add(group.Members[i]);
                advantages.Add(Broadcast(group.Members[i], adv[i]));
            }
        }
        return (rows, advantages);
    }

    /// <summary>One advantage on every trained token of the row.</summary>
    public static float[] Broadcast(PackedTrajectory row, double advantage)
    {
        var a = new float[row.Length];
        for (var t = 0; t < a.Length; t++) a[t] = row.LossMask[t] == 1 ? (float)advantage : 0f;
        return a;
    }

    /// <summary>
    /// The GRPO loss: clipped ratio against the stored behaviour log-probs, β·k3 to the frozen reference,
    /// token-mean over mask-1 tokens only (the batch's Advantages hold the group-normalised values).
    /// </summary>
    public static LossOutput Loss(Tensor logits, BatchTensors batch, Tensor? referenceLogProbs, GrpoOptions options) =>
        PolicyLoss.ClippedPolicyGradient(logits, batch, referenceLogProbs, options.ClipRange, options.KlCoef);
}
