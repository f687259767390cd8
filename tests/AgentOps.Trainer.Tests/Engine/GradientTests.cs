using AgentOps.Trainer.Engine;
using AgentOps.Trainer.Model;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AgentOps.Trainer.Tests.Engine;

// Every op the model and the losses differentiate through, checked against finite differences in float64: our own
// compositions (Model/Functional.cs) and the libtorch kernels they and the losses call.
public class GradientTests
{
    // A fixed random projection turns any output into a scalar with a non-trivial gradient everywhere.
    private static Tensor Project(Tensor y, int seed = 7)
    {
        var w = tensor(GradCheck.Random((int)y.numel(), seed), y.shape);
        return (y * w).sum();
    }

    [Fact]
    public void Matmul_and_linear()
    {
        GradCheck.Check(x => Project(x[0].matmul(x[1])), (GradCheck.Random(6, 1), [2, 3]), (GradCheck.Random(12, 2), [3, 4]));
        GradCheck.Check(x => Project(F.linear(x[0], x[1], x[2])),
            (GradCheck.Random(6, 1), [2, 3]), (GradCheck.Random(12, 2), [4, 3]), (GradCheck.Random(4, 3), [4]));
    }

    [Fact]
    public void Log_softmax_gather_and_token_logprobs()
    {
        using var targets = GradCheck.Ids([2, 0, 4]);
        GradCheck.Check(x => Project(x[0].log_softmax(-1).gather(1, targets.unsqueeze(1))), (GradCheck.Random(15, 4), [3, 5]));
        GradCheck.Check(x => Project(Functional.TokenLogProbs(x[0], targets)), (GradCheck.Random(15, 5), [3, 5]));
        GradCheck.Check(x => Project(x[0].softmax(0)), (GradCheck.Random(15, 6), [3, 5]));
    }

    [Fact]
    public void Rms_norm()
    {
        GradCheck.Check(x => Project(Functional.RmsNorm(x[0], x[1])), (GradCheck.Random(12, 8), [3, 4]), (GradCheck.Random(4, 9), [4]));
    }

    [Fact]
    public void Causal_attention_with_padding_and_rotary()
    {
        using var valid = tensor(new[] { true, true, true, false }, [1, 4]);
        GradCheck.Check(x => Project(Functional.CausalAttention(x[0], x[1], x[2], valid)),
            (GradCheck.Random(16, 10), [1, 2, 4, 2]), (GradCheck.Random(16, 11), [1, 2, 4, 2]), (GradCheck.Random(16, 12), [1, 2, 4, 2]));
        GradCheck.Check(x => Project(Functional.CausalAttention(x[0], x[1], x[2])),
            (GradCheck.Random(16, 10), [1, 2, 4, 2]), (GradCheck.Random(16, 11), [1, 2, 4, 2]), (GradCheck.Random(16, 12), [1, 2, 4, 2]));
        GradCheck.Check(x => Project(Functional.Rotary(x[0], x[1], x[2])),
            (GradCheck.Random(16, 13), [1, 2, 2, 4]), (GradCheck.Random(8, 14), [1, 1, 2, 4]), (GradCheck.Random(8, 15), [1, 1, 2, 4]));
    }

    [Fact]
    public void Attention_equals_softmax_of_masked_scores_and_a_decode_step_equals_the_last_row()
    {
        // The reference: softmax(q k^T / sqrt(D) + mask) v written out, with every masked key at -inf except in rows
        // with no visible key, which libtorch's kernel must leave finite (the old shim's -1e30 convention).
        var rng = new Random(5);
        float[] R(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        using var scope = NewDisposeScope();
        var q = tensor(R(2 * 2 * 5 * 4), [2, 2, 5, 4]);
        var k = tensor(R(2 * 2 * 5 * 4), [2, 2, 5, 4]);
        var v = tensor(R(2 * 2 * 5 * 4), [2, 2, 5, 4]);
        var valid = tensor(new[] { true, true, true, true, true, false, false, true, true, true }, [2, 5]);
        var seen = ones(5, 5, dtype: ScalarType.Bool).tril().unsqueeze(0).unsqueeze(0).logical_and(valid.unsqueeze(1).unsqueeze(1));
        var scores = (q.matmul(k.transpose(-2, -1)) / 2.0).masked_fill(seen.logical_not(), double.NegativeInfinity);
        var reference = scores.softmax(-1).matmul(v);
        var full = Functional.CausalAttention(q, k, v, valid);
        var got = full.ToFloats();
        Assert.All(got, x => Assert.True(float.IsFinite(x)));
        // Row 1's first two queries see no key (left padding): finite garbage, compared nowhere.
        var want = reference.ToFloats();
        for (var i = 0; i < got.Length; i++)
        {
            var (b, t) = (i / (2 * 5 * 4), i / 4 % 5);
            if (b == 1 && t < 2) continue;
            Assert.Equal(want[i], got[i], 5);
        }
        // A decode step: one query against every cached key.
        var step = Functional.CausalAttention(q.narrow(2, 4, 1), k, v, valid).ToFloats();
        var last = full.narrow(2, 4, 1).ToFloats();
        for (var i = 0; i < step.Length; i++) Assert.Equal(last[i], step[i], 5);

        using var keys = tensor(new[] { true, false, true }, [1, 3]);
        GradCheck.Check(x => Project(Functional.CausalAttention(x[0], x[1], x[2], keys)),
            (GradCheck.Random(4, 16), [1, 2, 1, 2]), (GradCheck.Random(12, 17), [1, 2, 3, 2]), (GradCheck.Random(12, 18), [1, 2, 3, 2]));
    }

    [Fact]
    public void Fused_swiglu_and_qkv_split_with_rotary()
    {
        GradCheck.Check(x => Project(Functional.SwiGlu(x[0])), (GradCheck.Random(24, 18), [2, 3, 4]));
        // qkv [B=1, T=2, 3 * H=2 * D=2]; q, k, v each [1, 2, 2, 2].
        GradCheck.Check(x =>
        {
            var (q, k, v) = Functional.QkvRotary(x[0], 2, x[1], x[2]);
            return Project(q, 1) + Project(k, 2) + Project(v, 3);
        }, (GradCheck.Random(24, 19), [1, 2, 12]), (GradCheck.Random(4, 20), [1, 2, 1, 1, 2]), (GradCheck.Random(4, 21), [1, 2, 1, 1, 2]));
    }

    [Fact]
    public void Silu_exp_log_clamp_minimum_maximum_where()
    {
        var data = (GradCheck.Random(8, 16), new long[] { 8 });
        GradCheck.Check(x => Project(F.silu(x[0])), data);
        GradCheck.Check(x => Project((x[0] * 0.5).exp()), data);
        GradCheck.Check(x => Project((x[0] + 2.0).log()), data);
        GradCheck.Check(x => Project(x[0].clamp(-0.5, 0.5)), data);
        GradCheck.Check(x => Project(x[0].minimum(x[0] * 0.3 + 0.1)), data);
        GradCheck.Check(x => Project(x[0].maximum(x[0] * 0.3 + 0.1)), data);
        GradCheck.Check(x => Project(where(x[0].gt(0), x[0] * 2.0, x[0].square())), data);
        GradCheck.Check(x => Project(x[0].reshape(2, 4).mean([1])), data);
    }

    [Fact]
    public void Embedding_rows_get_gradient_only_where_used()
    {
        using var ids = GradCheck.Ids([1, 1, 3]);
        GradCheck.Check(x => Project(Functional.Embedding(x[0], ids)), (GradCheck.Random(8, 17), [4, 2]));
        using var scope = NewDisposeScope();
        var w = tensor(GradCheck.Random(8, 17), [4, 2], requires_grad: true);
        Functional.Embedding(w, ids).sum().backward();
        Assert.Equal([0.0, 0, 2, 2, 0, 0, 1, 1], w.grad!.ToDoubles());
    }
}
