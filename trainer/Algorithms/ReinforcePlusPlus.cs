using AgentOps.Trainer.Rollout;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Algorithms;

/// <summary>REINFORCE++ knobs, with L0's agentic policy gradient (one think+code step = one action).</summary>
/// <param name="Gamma">Discount between agent steps; 1 gives every step the episode's outcome.</param>
/// <param name="GroupBaseline">Subtract the group's mean reward before whitening (REINFORCE++-baseline).</param>
/// <param name="StdEpsilon">Added to the batch std when whitening.</param>
/// <param name="ClipRange">Ratio clip ε of the surrogate.</param>
/// <param name="KlCoef">β of the k3 KL loss to the frozen reference (L0 keeps a KL loss).</param>
/// <param name="GroupFilter">Drop groups whose rewards are all equal (DAPO dynamic sampling, as L0 does).</param>
public sealed record ReinforcePlusPlusOptions(
    double Gamma = 1.0,
    bool GroupBaseline = false,
    double StdEpsilon = 1e-6,
    double ClipRange = 0.2,
    double KlCoef = 0.0,
    bool GroupFilter = true);

/// <summary>
/// REINFORCE++ with step-level advantages: each agent step k of an episode is one action with return
/// G_k = Σ_{j≥k} γ^{j-k} r_j (the outcome reward arrives at the last step); the returns of every action in the
/// batch are whitened together (REINFORCE++'s global batch normalisation, no critic), and every trained token
/// of step k gets A_k.
/// </summary>
public static class ReinforcePlusPlus
{
    public static (List<PackedTrajectory> Rows, List<float[]> Advantages) TokenAdvantages(IEnumerable<RolloutGroup> groups, ReinforcePlusPlusOptions options)
    {
        var rows = new List<PackedTrajectory>();
        var stepOrders = new List<int[]>();
        var returns = new List<double>();
        var offsets = new List<int>();
        foreach (var group in groups)
        {
            var baseline = options.GroupBaseline ? Normalization.MeanStd(group.Rewards()).Mean : 0.0;
            foreach (var row in group.Members)
            {
                var steps = ActionSteps(row);
                rows.Add(row);
                stepOrders.Add(steps);
                offsets.Add(returns.Count);
                var k = steps.Length;
                for (var i = 0; i < k; i++)
                    returns.Add(Math.Pow(options.Gamma, k - 1 - i) * (row.Reward - baseline));
            }
        }
        var whitened = returns.ToArray();
        Normalization.Whiten(whitened, options.StdEpsilon);
        var advantages = new List<float[]>(rows.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            var steps = stepOrders[r];
            var a = new float[row.Length];
            for (var t = 0; t < a.Length; t++)
            {
                if (row.LossMask[t] == 0) continue;
                a[t] = (float)whitened[offsets[r] + Array.IndexOf(steps, row.StepIndex[t])];
            }
            advantages.Add(a);
        }
        return (rows, advantages);
    }

    /// <summary>The distinct step indices that carry trained tokens, in order: the episode's actions.</summary>
    public static int[] ActionSteps(PackedTrajectory row)
    {
        var set = new SortedSet<int>();
        for (var t = 0; t < row.Length; t++)
        {
            if (row.LossMask[t] == 1) set.Add(row.StepIndex[t]);
        }
        return [.. set];
    }

    /// <summary>The same clipped surrogate and k3 KL loss as GRPO, with the step-level advantages in the batch.</summary>
    public static LossOutput Loss(Tensor logits, BatchTensors batch, Tensor? referenceLogProbs, ReinforcePlusPlusOptions options) =>
        PolicyLoss.ClippedPolicyGradient(logits, batch, referenceLogProbs, options.ClipRange, options.KlCoef);
}
