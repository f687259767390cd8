using AgentOps.Trainer.Model;
using AgentOps.Trainer.Engine;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Tests.Model;

/// <summary>
/// Copying is what the agent's SFT needs (the question into code, the interpreter's output into the answer) and
/// what a model without working attention or positions cannot learn: a fixed batch can be memorised, fresh random
/// digits cannot. The tiny preset must copy 8 fresh random digits after a separator.
/// </summary>
public class CopyTaskTests
{
    private static (List<int[]> Seqs, List<byte[]> Masks) Batch(Random rng, int n, int digits)
    {
        var seqs = new List<int[]>();
        var masks = new List<byte[]>();
        for (var i = 0; i < n; i++)
        {
            var d = Enumerable.Range(0, digits).Select(_ => '0' + rng.Next(10)).ToArray();
            seqs.Add([.. d, '|', .. d, '\n']);
            masks.Add([.. Enumerable.Repeat((byte)0, digits + 1), .. Enumerable.Repeat((byte)1, digits + 1)]);
        }
        return (seqs, masks);
    }

    [Fact]
    public void Tiny_model_learns_to_copy_fresh_random_digits()
    {
        using var model = new Transformer(ModelConfig.Tiny with { ContextLength = 64 }, seed: 1);
        using var opt = new NamedAdamW(model.named_parameters(), new AdamWOptions { LearningRate = 3e-3 });
        var rng = new Random(5);
        double Loss(bool train)
        {
            using var scope = NewDisposeScope();
            var (seqs, masks) = Batch(rng, 32, 8);
            var batch = TokenBatch.Create(seqs, masks);
            if (!train)
            {
                using var _ = no_grad();
                return NextTokenLoss.Compute(model, batch).ToFloats()[0];
            }
            opt.ZeroGrad();
            var loss = NextTokenLoss.Compute(model, batch);
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            opt.Step();
            return loss.ToFloats()[0];
        }
        var before = Loss(train: false);
        for (var step = 0; step < 400; step++) Loss(train: true);
        var after = Loss(train: false);
        // Guessing digits costs ln 10 = 2.30 nats per digit (8 of the 9 targets); copying them costs ~0.
        Assert.True(before > 1.5, $"untrained loss {before:F3}");
        Assert.True(after < 0.3, $"after 400 steps of fresh digits the copy loss is still {after:F3} (2.05 = guessing)");
    }
}
