using AgentOps.Trainer.Torch;

namespace AgentOps.Trainer.Algorithms;

/// <summary>
/// The pieces every policy-gradient loss here shares: PPO's clipped surrogate against the stored behaviour
/// log-probs, the k3 KL estimator (Schulman, "Approximating KL divergence"), and the token-mean over mask-1
/// tokens (DAPO's token-level loss): prompt, interpreter output and feedback never contribute.
/// </summary>
public static class PolicyLoss
{
    /// <summary>Σ(x·mask) / max(Σmask, 1): the mean over trained tokens of the whole batch.</summary>
    public static Tensor MaskedMean(Tensor x, Tensor mask) => (x * mask).Sum() / mask.Sum().Clamp(min: 1);

    /// <summary>
    /// Per-token clipped surrogate max(-A·r, -A·clip(r, 1-ε, 1+ε)) with r = exp(logp - behaviourLogp), and the
    /// per-token indicator that clipping was active.
    /// </summary>
    public static (Tensor Loss, Tensor Clipped) ClippedSurrogate(Tensor logProbs, Tensor behaviourLogProbs, Tensor advantages, double clipRange)
    {
        var ratio = (logProbs - behaviourLogProbs).Exp();
        var unclipped = -advantages * ratio;
        var clipped = -advantages * ratio.Clamp(1 - clipRange, 1 + clipRange);
        var loss = unclipped.Maximum(clipped);
        var active = clipped.Gt(unclipped).To(ScalarType.Float32);
        return (loss, active);
    }

    /// <summary>k3 = exp(ref - logp) - (ref - logp) - 1 ≥ 0, an unbiased low-variance estimate of KL(π‖π_ref).</summary>
    public static Tensor K3(Tensor logProbs, Tensor referenceLogProbs)
    {
        var d = referenceLogProbs - logProbs;
        return d.Exp() - d - 1.0;
    }

    /// <summary>Mean policy entropy over trained tokens (no gradient; a metric).</summary>
    public static double Entropy(Tensor logits, Tensor mask)
    {
        using var _ = new NoGradScope();
        using var scope = DisposeScope.Begin();
        var logp = logits.LogSoftmax(-1);
        var ent = -(logp.Exp() * logp).Sum(-1);
        return MaskedMean(ent, mask).ItemFloat();
    }

    /// <summary>
    /// The GRPO / REINFORCE++ objective: token-mean of the clipped surrogate plus β·k3 to the reference.
    /// <paramref name="referenceLogProbs"/> may be null when β = 0.
    /// </summary>
    public static LossOutput ClippedPolicyGradient(Tensor logits, BatchTensors batch, Tensor? referenceLogProbs, double clipRange, double klCoef)
    {
        var logProbs = Functional.TokenLogProbs(logits, batch.Targets);
        var (surrogate, clipped) = ClippedSurrogate(logProbs, batch.BehaviourLogProbs, batch.Advantages, clipRange);
        var policyLoss = MaskedMean(surrogate, batch.Mask);
        var metrics = new Dictionary<string, double>();
        Tensor loss = policyLoss;
        double kl = double.NaN;
        if (referenceLogProbs is not null)
        {
            var klTok = MaskedMean(K3(logProbs, referenceLogProbs), batch.Mask);
            if (klCoef != 0) loss = policyLoss + klTok * klCoef;
            kl = klTok.ItemFloat();
        }
        metrics["loss/policy"] = policyLoss.ItemFloat();
        metrics["loss/total"] = loss.ItemFloat();
        metrics["policy/kl"] = kl;
        metrics["policy/clip_frac"] = MaskedMean(clipped, batch.Mask).ItemFloat();
        metrics["policy/entropy"] = Entropy(logits, batch.Mask);
        using (new NoGradScope())
        {
            // Approximate KL between the behaviour and current policies on the sampled tokens (k3).
            metrics["policy/approx_kl_behaviour"] = MaskedMean(K3(logProbs, batch.BehaviourLogProbs), batch.Mask).ItemFloat();
        }
        return new LossOutput(loss, metrics);
    }
}
