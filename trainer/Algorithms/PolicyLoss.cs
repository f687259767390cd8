using static TorchSharp.torch;

namespace AgentOps.Trainer.Algorithms;

/// <summary>
/// The pieces every policy-gradient loss here shares: PPO's clipped surrogate against the stored behaviour
/// log-probs, the k3 KL estimator (Schulman, "Approximating KL divergence"), and the token-mean over mask-1
/// tokens (DAPO's token-level loss): prompt, interpreter output and feedback never contribute.
/// </summary>
public static class PolicyLoss
{
    /// <summary>Σ(x·mask) / max(Σmask, 1): the mean over trained tokens of the whole batch.</summary>
    public static Tensor MaskedMean(Tensor x, Tensor mask) => (x * mask).sum() / mask.sum().clamp_min(1);

    /// <summary>
    /// Per-token clipped surrogate max(-A·r, -A·clip(r, 1-ε, 1+ε)) with r = exp(logp - behaviourLogp), and the
    /// per-token indicator that clipping was active.
    /// </summary>
    public static (Tensor Loss, Tensor Clipped) ClippedSurrogate(Tensor logProbs, Tensor behaviourLogProbs, Tensor advantages, double clipRange)
    {
        var ratio = (logProbs - behaviourLogProbs).exp();
        var unclipped = -advantages * ratio;
        var clipped = -advantages * ratio.clamp(1 - clipRange, 1 + clipRange);
        var loss = unclipped.maximum(clipped);
        var active = clipped.gt(unclipped).to(ScalarType.Float32);
        return (loss, active);
    }

    /// <summary>k3 = exp(ref - logp) - (ref - logp) - 1 ≥ 0, an unbiased low-variance estimate of KL(π‖π_ref).</summary>
    public static Tensor K3(Tensor logProbs, Tensor referenceLogProbs)
    {
        var d = referenceLogProbs - logProbs;
        return d.exp() - d - 1.0;
    }

    /// <summary>Mean policy entropy over trained tokens (no gradient; a metric).</summary>
    public static double Entropy(Tensor logits, Tensor mask)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var logp = logits.log_softmax(-1);
        var ent = -(logp.exp() * logp).sum(-1);
        return MaskedMean(ent, mask).item<float>();
    }

    /// <summary>
    /// The GRPO / REINFORCE++ objective: token-mean of the clipped surrogate plus β·k3 to the reference.
    /// <paramref name="referenceLogProbs"/> may be null when β = 0.
    /// </summary>
    public static LossOutput ClippedPolicyGradient(Tensor logits, BatchTensors batch, Tensor? referenceLogProbs, double clipRange, double klCoef)
    {
        var logProbs = Model.Functional.TokenLogProbs(logits, batch.Targets);
        var (surrogate, clipped) = ClippedSurrogate(logProbs, batch.BehaviourLogProbs, batch.Advantages, clipRange);
        var policyLoss = MaskedMean(surrogate, batch.Mask);
        var metrics = new Dictionary<string, double>();
        Tensor loss = policyLoss;
        double kl = double.NaN;
        if (referenceLogProbs is not null)
        {
            var klTok = MaskedMean(K3(logProbs, referenceLogProbs), batch.Mask);
            if (klCoef != 0) loss = policyLoss + klTok * klCoef;
            kl = klTok.item<float>();
        }
        metrics["loss/policy"] = policyLoss.item<float>();
        metrics["loss/total"] = loss.item<float>();
        metrics["policy/kl"] = kl;
        metrics["policy/clip_frac"] = MaskedMean(clipped, batch.Mask).item<float>();
        metrics["policy/entropy"] = Entropy(logits, batch.Mask);
        using (no_grad())
        {
            // Approximate KL between the behaviour and current policies on the sampled tokens (k3).
            metrics["policy/approx_kl_behaviour"] = MaskedMean(K3(logProbs, batch.BehaviourLogProbs), batch.Mask).item<float>();
        }
        return new LossOutput(loss, metrics);
    }
}
