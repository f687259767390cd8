using static TorchSharp.torch;

namespace AgentOps.Trainer.Algorithms;

/// <summary>SFT cold-start knobs (ReTool: demonstrations with interpreter output included but masked).</summary>
/// <param name="Steps">Optimisation steps of the cold start.</param>
/// <param name="BatchSize">Demonstrations per step.</param>
/// <param name="LearningRate">Peak AdamW learning rate (DESIGN.md: 3e-3 with warmup is fastest for the 0.8M model).</param>
/// <param name="WarmupSteps">Linear warmup steps.</param>
public sealed record SftOptions(
    int Steps = 300,
    int BatchSize = 32,
    double LearningRate = 3e-3,
    int WarmupSteps = 10);

/// <summary>Supervised fine-tuning: cross-entropy on mask-1 tokens only, token-mean over the batch.</summary>
public static class Sft
{
    public static LossOutput Loss(Tensor logits, BatchTensors batch)
    {
        var logProbs = Model.Functional.TokenLogProbs(logits, batch.Targets);
        var loss = -PolicyLoss.MaskedMean(logProbs, batch.Mask);
        var metrics = new Dictionary<string, double>
        {
            ["loss/total"] = loss.item<float>(),
            ["loss/sft"] = loss.item<float>(),
            ["policy/entropy"] = PolicyLoss.Entropy(logits, batch.Mask),
        };
        return new LossOutput(loss, metrics);
    }
}
