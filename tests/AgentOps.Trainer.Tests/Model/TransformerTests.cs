using AgentOps.Protos.Tokenization;
using AgentOps.Trainer.Model;
using AgentOps.Trainer.Engine;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Tests.Model;

public class TransformerTests
{
    [Fact]
    public void Presets_have_the_documented_sizes()
    {
        using var tiny = new Transformer(ModelConfig.Tiny);
        using var small = new Transformer(ModelConfig.Small);
        // tiny: 4 x (4*128^2 + 3*128*352) + 259*128 + norms = 843,008; small: 3,346,176.
        Assert.InRange(tiny.ParameterCount, 800_000, 900_000);
        Assert.InRange(small.ParameterCount, 3_000_000, 3_500_000);
        Assert.Throws<ArgumentException>(() => ModelConfig.FromPreset("huge"));
    }

    [Fact]
    public void Same_seed_gives_the_same_model_and_logits_have_the_right_shape()
    {
        using var scope = NewDisposeScope();
        using var a = new Transformer(TinyModels.Micro, seed: 5);
        using var b = new Transformer(TinyModels.Micro, seed: 5);
        var tokens = Engine.GradCheck.Ids(TinyModels.Seq("hello"), 1, 6);
        var la = a.Forward(tokens);
        Assert.Equal([1L, 6L, (long)ByteTokenizer.VocabSize], la.shape);
        Assert.Equal(la.ToFloats(), b.Forward(tokens).ToFloats());
    }

    [Fact]
    public void Future_tokens_do_not_change_earlier_logits()
    {
        using var scope = NewDisposeScope();
        using var model = new Transformer(TinyModels.Micro, seed: 2);
        var x = model.Forward(Engine.GradCheck.Ids(TinyModels.Seq("abcdef"), 1, 7)).narrow(1, 0, 4).ToFloats();
        var y = model.Forward(Engine.GradCheck.Ids(TinyModels.Seq("abcXYZ"), 1, 7)).narrow(1, 0, 4).ToFloats();
        for (var i = 0; i < x.Length; i++) Assert.Equal(x[i], y[i], 5);
    }

    [Fact]
    public void Tiny_model_overfits_a_fixed_batch()
    {
        using var model = new Transformer(TinyModels.Micro, seed: 3);
        string[] texts = ["x = 3 + 4 * 2</code>", "<answer>11</answer>", "print(7 * 6)</code>", "the cat sat"];
        var seqs = texts.Select(t => TinyModels.Seq(t, eos: true)).ToList();
        // The first byte after Bos is a 1-in-4 guess (a loss floor of ln 4 per sequence): leave it out of the loss.
        var masks = seqs.Select(s => s.Select((_, i) => (byte)(i == 1 ? 0 : 1)).ToArray()).ToList();
        var first = TinyModels.Train(model, seqs, 1, masks: masks);
        var last = TinyModels.Train(model, seqs, 200, masks: masks);
        Assert.True(first > 4.0, $"initial loss {first} should be near ln(259) = 5.56");
        Assert.True(last < 0.05, $"loss after 200 steps is {last}, expected < 0.05");
    }

    [Fact]
    public void Masked_targets_get_exactly_zero_gradient()
    {
        using var scope = NewDisposeScope();
        using var model = new Transformer(TinyModels.Micro, seed: 4);
        var seq = TinyModels.Seq("a<output>42</output>b");
        var mask = seq.Select((_, i) => (byte)(i >= 2 && i < 20 ? 0 : 1)).ToArray();
        var batch = TokenBatch.Create([seq], [mask]);

        // 1. d loss / d logits is exactly 0 at every masked target position.
        var logits = model.Forward(batch.Inputs).detach();
        logits.requires_grad = true;
        var lp = Functional.TokenLogProbs(logits, batch.Targets);
        (-(lp * batch.LossMask).sum() / batch.LossMask.sum()).backward();
        var g = logits.grad!.abs().sum(2).ToFloats();
        var m = batch.LossMask.ToFloats();
        for (var t = 0; t < m.Length; t++)
        {
            if (m[t] == 0) Assert.Equal(0f, g[t]);
            else Assert.True(g[t] > 0, $"unmasked position {t} has no gradient");
        }

        // 2. Replacing a masked tail (tool output after the last trained token) leaves every parameter gradient
        //    bit-identical: masked tokens contribute nothing, not merely little.
        var tail = TinyModels.Seq("x=6*7</code><output>42</output>");
        var tailMask = tail.Select((_, i) => (byte)(i <= 12 ? 1 : 0)).ToArray();
        var other = (int[])tail.Clone();
        for (var i = 13; i < other.Length; i++) other[i] = 'z';
        float[][] Grads(int[] s)
        {
            model.zero_grad();
            using var inner = NewDisposeScope();
            NextTokenLoss.Compute(model, TokenBatch.Create([s], [tailMask])).backward();
            return model.parameters().Select(p => p.grad!.ToFloats()).ToArray();
        }
        var a = Grads(tail);
        var b = Grads(other);
        Assert.Equal(a.Length, b.Length);
        for (var k = 0; k < a.Length; k++) Assert.Equal(a[k], b[k]);
        Assert.Contains(a, g => g.Any(x => x != 0));
    }
}
