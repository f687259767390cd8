using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AgentOps.Trainer.Model;

/// <summary>
/// The model's pieces as compositions of libtorch ops (autograd flows through each). Attention is libtorch's
/// scaled_dot_product_attention where it pays; RMSNorm, rotary positions and SwiGLU are ours because TorchSharp 0.107
/// binds no rms_norm and libtorch has no rotary or SwiGLU op. Call inside a DisposeScope: intermediate tensors join it.
/// </summary>
public static class Functional
{
    /// <summary>RMSNorm (Zhang and Sennrich 2019): x * rsqrt(mean(x^2, -1) + eps) * weight.</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps = 1e-5)
        => x * (x.square().mean([-1], keepdim: true) + eps).rsqrt() * weight;

    /// <summary>
    /// Rotary position embedding (RoFormer), GPT-NeoX/LLaMA "rotate half" layout: x * cos + rotate_half(x) * sin with
    /// rotate_half(x) = [-x2, x1]. Written as x * cos + roll(x, D/2) * <paramref name="sinSigned"/>, where sinSigned =
    /// [-sin, sin] (the model's table holds it that way): one roll instead of chunk, neg and cat. cos/sinSigned
    /// broadcast to x's shape, whose last dimension is the head width D.
    /// </summary>
    public static Tensor Rotary(Tensor x, Tensor cos, Tensor sinSigned) => x * cos + x.roll(x.size(-1) / 2, -1) * sinSigned;

    /// <summary>SwiGLU (Shazeer 2020): silu(gate) * up for a fused [.., 2H] gate|up projection -> [.., H].</summary>
    public static Tensor SwiGlu(Tensor gateUp)
    {
        var parts = gateUp.chunk(2, -1);
        return F.silu(parts[0]) * parts[1];
    }

    /// <summary>
    /// Splits a fused [B, T, 3*H*D] projection into q, k, v [B, H, T, D] (views in that layout), rotary applied to q
    /// and k together; cos/sinSigned [B or 1, T, 1, 1, D]. split and unbind (not narrow or select): their backward is
    /// one cat or stack, where a narrow or select zero-fills a gradient of the whole projection.
    /// </summary>
    public static (Tensor Q, Tensor K, Tensor V) QkvRotary(Tensor qkv, int heads, Tensor cos, Tensor sinSigned)
    {
        long b = qkv.size(0), t = qkv.size(1), hd = qkv.size(2) / (3 * heads);
        var parts = qkv.view(b, t, 3, heads, hd).split([2, 1], 2);
        var qk = Rotary(parts[0], cos, sinSigned).unbind(2);
        return (qk[0].transpose(1, 2), qk[1].transpose(1, 2), parts[1].squeeze(2).transpose(1, 2));
    }

    /// <summary>Score given to keys a query must not see: finite, so that a query with no visible key (a left-padding
    /// position) gets finite garbage instead of NaN, which would reach every row through 0 * NaN.</summary>
    public const double Blocked = -1e30;

    /// <summary>
    /// The additive attention mask of <paramref name="tq"/> queries at key positions [Tk - Tq, Tk) over keys [0, Tk):
    /// 0 where a query sees a key, <see cref="Blocked"/> where causality or <paramref name="keyBias"/> [B, Tk] (0 or
    /// Blocked per key: padding) hides it, as [B or 1, 1, Tq, Tk]. Null for a plain causal pass over a whole sequence,
    /// which libtorch's causal kernel does without a mask. Built once per forward pass and shared by every layer.
    /// </summary>
    public static Tensor? AttentionBias(long tq, long tk, Tensor? keyBias, Device device)
    {
        if (keyBias is null && tq == tk) return null;
        var bias = keyBias?.view(keyBias.size(0), 1, 1, tk) ?? zeros([1, 1, 1, tk], device: device);
        if (tq == 1) return bias; // the newest query sees every key
        var qi = arange(tq, dtype: ScalarType.Int64, device: device).unsqueeze(1) + (tk - tq);
        var future = arange(tk, dtype: ScalarType.Int64, device: device).unsqueeze(0).gt(qi); // [Tq,Tk]
        return bias + zeros([tq, tk], device: device).masked_fill_(future, Blocked);
    }

    /// <summary>
    /// softmax(q k^T / sqrt(D) + bias) v with q [B,H,Tq,D], k/v [B,H,Tk,D] and <paramref name="bias"/> from
    /// <see cref="AttentionBias"/> (null: causal over the whole sequence, Tq = Tk), by libtorch's
    /// scaled_dot_product_attention. Measured against compositions (best of 6 x 100 calls, 2 threads): a decode step
    /// (one query, 4 heads x 32, batch 32, 101 cached keys, key mask) 181 us, against 197 us for matmul/softmax/matmul
    /// and 303 us for the 1.13 shim's broadcast-multiply-and-sum; training (batch 16, 4 heads x 64, 256 tokens, causal,
    /// forward and backward) 44 ms against 67 ms for matmul/mask/softmax/matmul.
    /// </summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor? bias) => bias is null
        ? F.scaled_dot_product_attention(q, k, v, is_casual: true)
        : F.scaled_dot_product_attention(q, k, v, bias);

    /// <summary>
    /// Causal attention for q [B,H,Tq,D] against k/v [B,H,Tk,D]: query i sees keys j &lt;= i + (Tk - Tq); keys where
    /// <paramref name="keyValid"/> [B,Tk] is false (padding) get no weight. The model builds its mask once per
    /// forward pass instead (<see cref="AttentionBias"/>).
    /// </summary>
    public static Tensor CausalAttention(Tensor q, Tensor k, Tensor v, Tensor? keyValid = null)
    {
        var keyBias = keyValid is null ? null : zeros(keyValid.shape, dtype: q.dtype, device: q.device).masked_fill_(keyValid.logical_not(), Blocked);
        return Attention(q, k, v, AttentionBias(q.size(-2), k.size(-2), keyBias, q.device));
    }

    /// <summary>Rows of <paramref name="weight"/> [V, D] picked by int64 <paramref name="ids"/>: shape ids.shape + [D]
    /// (torch.nn.functional.embedding, which TorchSharp 0.107 binds only inside nn.Embedding's own weight).</summary>
    public static Tensor Embedding(Tensor weight, Tensor ids) =>
        weight.index_select(0, ids.reshape(-1)).view([.. ids.shape, weight.size(1)]);

    /// <summary>log_softmax(logits)[..., target]: logits [..., V], targets [...] int64 -> [...].</summary>
    public static Tensor TokenLogProbs(Tensor logits, Tensor targets)
        => logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1);
}
