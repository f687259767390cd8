using AgentOps.Trainer.Torch;

namespace AgentOps.Trainer.Tests.Torch;

// Every op the model and the losses differentiate through, checked against finite differences in float64.
public class GradientTests
{
    // A fixed random projection turns any output into a scalar with a non-trivial gradient everywhere.
    private static Tensor Project(Tensor y, int seed = 7)
    {
        var w = Tensor.From(GradCheck.Random((int)y.Numel, seed), y.Shape);
        return (y * w).Sum();
    }

    [Fact]
    public void Matmul_and_linear()
    {
        GradCheck.Check(x => Project(x[0].MatMul(x[1])), (GradCheck.Random(6, 1), [2, 3]), (GradCheck.Random(12, 2), [3, 4]));
        GradCheck.Check(x => Project(Tensor.Linear(x[0], x[1], x[2])),
            (GradCheck.Random(6, 1), [2, 3]), (GradCheck.Random(12, 2), [4, 3]), (GradCheck.Random(4, 3), [4]));
    }

    [Fact]
    public void Log_softmax_gather_and_token_logprobs()
    {
        using var targets = Tensor.From([2, 0, 4], [3]);
        GradCheck.Check(x => Project(x[0].LogSoftmax(-1).Gather(1, targets.Unsqueeze(1))), (GradCheck.Random(15, 4), [3, 5]));
        GradCheck.Check(x => Project(Functional.TokenLogProbs(x[0], targets)), (GradCheck.Random(15, 5), [3, 5]));
        GradCheck.Check(x => Project(x[0].Softmax(0)), (GradCheck.Random(15, 6), [3, 5]));
    }

    [Fact]
    public void Rms_norm()
    {
        GradCheck.Check(x => Project(Functional.RmsNorm(x[0], x[1])), (GradCheck.Random(12, 8), [3, 4]), (GradCheck.Random(4, 9), [4]));
    }

    [Fact]
    public void Causal_attention_with_padding_and_rotary()
    {
        using var valid = Tensor.From([true, true, true, false], [1, 4]);
        GradCheck.Check(x => Project(Functional.Attention(x[0], x[1], x[2], causal: true, keyValid: valid)),
            (GradCheck.Random(16, 10), [1, 2, 4, 2]), (GradCheck.Random(16, 11), [1, 2, 4, 2]), (GradCheck.Random(16, 12), [1, 2, 4, 2]));
        GradCheck.Check(x => Project(Functional.Rotary(x[0], x[1], x[2])),
            (GradCheck.Random(16, 13), [1, 2, 2, 4]), (GradCheck.Random(8, 14), [1, 1, 2, 4]), (GradCheck.Random(8, 15), [1, 1, 2, 4]));
    }

    [Fact]
    public void One_query_attention_a_decode_step_equals_the_last_row_of_full_attention_and_has_gradients()
    {
        // A single query takes the broadcast-and-reduce path, more queries the batched matmul: the last query of a
        // causal pass sees every key, as a decode step does.
        var rng = new Random(5);
        float[] R(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        using var scope = DisposeScope.Begin();
        var q = Tensor.From(R(2 * 2 * 5 * 4), [2, 2, 5, 4]);
        var k = Tensor.From(R(2 * 2 * 5 * 4), [2, 2, 5, 4]);
        var v = Tensor.From(R(2 * 2 * 5 * 4), [2, 2, 5, 4]);
        var valid = Tensor.From([true, true, true, true, true, false, true, true, true, true], [2, 5]);
        var full = Functional.Attention(q, k, v, causal: true, keyValid: valid).Narrow(2, 4, 1).ToFloatArray();
        var step = Functional.Attention(q.Narrow(2, 4, 1), k, v, causal: true, keyValid: valid).ToFloatArray();
        Assert.Equal(full.Length, step.Length);
        for (var i = 0; i < full.Length; i++) Assert.Equal(full[i], step[i], 5);

        using var keys = Tensor.From([true, false, true], [1, 3]);
        GradCheck.Check(x => Project(Functional.Attention(x[0], x[1], x[2], causal: true, keyValid: keys)),
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
        }, (GradCheck.Random(24, 19), [1, 2, 12]), (GradCheck.Random(4, 20), [1, 1, 2, 2]), (GradCheck.Random(4, 21), [1, 1, 2, 2]));
    }

    [Fact]
    public void Silu_gelu_exp_log_clamp_minimum_where()
    {
        var data = (GradCheck.Random(8, 16), new long[] { 8 });
        GradCheck.Check(x => Project(x[0].Silu()), data);
        GradCheck.Check(x => Project(x[0].Gelu()), data);
        GradCheck.Check(x => Project((x[0] * 0.5).Exp()), data);
        GradCheck.Check(x => Project((x[0] + 2.0).Log()), data);
        GradCheck.Check(x => Project(x[0].Clamp(-0.5, 0.5)), data);
        GradCheck.Check(x => Project(x[0].Minimum(x[0] * 0.3 + 0.1)), data);
        GradCheck.Check(x => Project(Tensor.Where(x[0].Gt(0), x[0] * 2.0, x[0].Square())), data);
        GradCheck.Check(x => Project(x[0].Reshape(2, 4).Mean(1)), data);
    }

    [Fact]
    public void Embedding_rows_get_gradient_only_where_used()
    {
        using var ids = Tensor.From([1, 1, 3], [3]);
        GradCheck.Check(x => Project(Tensor.Embedding(x[0], ids)), (GradCheck.Random(8, 17), [4, 2]));
    }
}
