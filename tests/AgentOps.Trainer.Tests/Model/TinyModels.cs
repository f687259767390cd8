using AgentOps.Protos.Tokenization;
using AgentOps.Trainer.Model;
using AgentOps.Trainer.Engine;
using static TorchSharp.torch;

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
        using var opt = new NamedAdamW(model.named_parameters(), new AdamWOptions { LearningRate = lr, WeightDecay = 0 });
        var loss = float.NaN;
        for (var s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            var batch = TokenBatch.Create(sequences, masks);
            var l = NextTokenLoss.Compute(model, batch);
            opt.ZeroGrad();
            l.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            opt.Step();
            loss = l.item<float>();
        }
        return loss;
    }
}
