using static TorchSharp.torch;

namespace AgentOps.Trainer.Model;

/// <summary>Token-mean negative log-likelihood over mask-1 targets (the SFT loss; masked tokens get exactly zero gradient).</summary>
public static class NextTokenLoss
{
    /// <summary>-(sum of logp * mask) / max(sum of mask, 1) as a 0-d tensor.</summary>
    public static Tensor Compute(Transformer model, TokenBatch batch)
    {
        var lp = model.TokenLogProbs(batch.Inputs, batch.Targets);
        return -(lp * batch.LossMask).sum() / batch.LossMask.sum().clamp_min(1);
    }
}
