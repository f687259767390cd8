using AgentOps.Protos.Tokenization;
using AgentOps.Trainer.Model;
using AgentOps.Trainer.Torch;

namespace AgentOps.Trainer.Tests.Model;

/// <summary>Small shapes that train in a second or two on a loaded 2-core box.</summary>
internal static class TinyModels
{
    public static ModelConfig Micro { get; } = new() { Preset = "micro", Layers = 2, Dim = 64, Heads = 4, MlpHidden = 128, ContextLength = 96 };

    public static int[] Seq(string text, bool eos = false) =>
        [ByteTokenizer.Bos, .. ByteTokenizer.Encode(text), .. (eos ? new[] { ByteTokenizer.Eos } : [])];

    /// <summary>Plain AdamW steps on the next-token loss of a fixed batch; returns the last loss.</summary>
    public static float Train(Transformer model, IReadOnlyList<int[]> sequences, int steps, double lr = 1e-2, IReadOnlyList<byte[]>? masks = null)
    {
        using var opt = new AdamW(model.NamedParameters(), new AdamWOptions { LearningRate = lr, WeightDecay = 0 });
        var loss = float.NaN;
        for (var s = 0; s < steps; s++)
        {
            using var scope = DisposeScope.Begin();
            var batch = TokenBatch.Create(sequences, masks);
            var l = NextTokenLoss.Compute(model, batch);
            opt.ZeroGrad();
            l.Backward();
            GradClip.ClipGradNorm(model.Parameters(), 1.0);
            opt.Step();
            loss = l.ItemFloat();
        }
        return loss;
    }
}
