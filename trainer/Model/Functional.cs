using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AgentOps.Trainer.Model;

/// <summary>
/// The model's pieces as compositions of libtorch ops (autograd flows through each). Attention is libtorch's
/// scaled_dot_product_attention; RMSNorm, rotary positions and SwiGLU are ours because TorchSharp 0.107 binds no
/// rms_norm and libtorch has no rotary or SwiGLU op. Call inside a DisposeScope: intermediate tensors join it.
/// </summary>
public static class Functional
{
    /// <summary>RMSNorm (Zhang and Sennrich 2019): x * rsqrt(mean(x^2, -1) + eps) * weight.</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps = 1e-5)
        => x * (x.square().mean([-1], keepdim: true) + eps).rsqrt() * weight;

    /// <summary>Rotary position embedding (RoFormer), GPT-NeoX/LLaMA "rotate half" layout: x [B,H,T,D], cos/sin
    /// broadcastable to it.</summary>
    public static Tensor Rotary(Tensor x, Tensor cos, Tensor sin)
    {
        // chunk (not narrow): its backward is one cat instead of a zero-filled full-size gradient per piece.
        var halves = x.chunk(2, -1);
        return x * cos + cat([-halves[1], halves[0]], -1) * sin;
    }

    /// <summary>SwiGLU (Shazeer 2020): silu(gate) * up for a fused [.., 2H] gate|up projection -> [.., H].</summary>
    public static Tensor SwiGlu(Tensor gateUp)
    {
        var parts = gateUp.chunk(2, -1);
        return F.silu(parts[0]) * parts[1];
    }

    /// <summary>Splits a fused [B, T, 3*H*D] projection into q, k, v [B, H, T, D], rotary applied to q and k (unbind's
    /// backward is one stack, where three selects would each zero-fill a full-size gradient).</summary>
    public static (Tensor Q, Tensor K, Tensor V) QkvRotary(Tensor qkv, int heads, Tensor cos, Tensor sin)
    {
        long b = qkv.size(0), t = qkv.size(1), hd = qkv.size(2) / (3 * heads);
        var parts = qkv.view(b, t, 3, heads, hd).permute(2, 0, 3, 1, 4).unbind(0);
        return (Rotary(parts[0], cos, sin), Rotary(parts[1], cos, sin), parts[2]);
    }

    /// <summary>Score given to keys a query must not see: finite, so that a query with no visible key (a left-padding
    /// position) gets finite garbage instead of NaN, which would reach every row through 0 * NaN.</summary>
    public const double Blocked = -1e30;

    /// <summary>
    /// softmax(q k^T / sqrt(D)) v with q [B,H,Tq,D], k/v [B,H,Tk,D] by libtorch's scaled_dot_product_attention.
    /// Causal: query i sees keys j &lt;= i + (Tk - Tq) (so a decode step with a KV cache is causal too).
    /// <paramref name="keyValid"/> [B,Tk] bool, optional: false keys (padding) get no weight.
    /// </summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, bool causal, Tensor? keyValid = null)
    {
        long tq = q.size(-2), tk = k.size(-2);
        if (keyValid is null && (!causal || tq == tk)) return F.scaled_dot_product_attention(q, k, v, is_casual: causal);
        Tensor? visible = keyValid?.unsqueeze(1).unsqueeze(1); // [B,1,1,Tk]
        if (causal && tq > 1)
        {
            var qi = arange(tq, dtype: ScalarType.Int64, device: q.device).unsqueeze(1) + (tk - tq);
            var kj = arange(tk, dtype: ScalarType.Int64, device: q.device).unsqueeze(0);
            var seen = kj.le(qi); // [Tq,Tk]
            visible = visible is null ? seen : visible.logical_and(seen);
        }
        var bias = zeros(visible!.shape, dtype: q.dtype, device: q.device).masked_fill_(visible.logical_not(), Blocked);
        return F.scaled_dot_product_attention(q, k, v, bias);
    }

    /// <summary>Rows of <paramref name="weight"/> [V, D] picked by int64 <paramref name="ids"/>: shape ids.shape + [D]
    /// (torch.nn.functional.embedding, which TorchSharp 0.107 binds only inside nn.Embedding's own weight).</summary>
    public static Tensor Embedding(Tensor weight, Tensor ids) =>
        weight.index_select(0, ids.reshape(-1)).view([.. ids.shape, weight.size(1)]);

    /// <summary>log_softmax(logits)[..., target]: logits [..., V], targets [...] int64 -> [...].</summary>
    public static Tensor TokenLogProbs(Tensor logits, Tensor targets)
        => logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1);
}
