namespace AgentOps.Trainer.Torch;

/// <summary>Fused model pieces computed in one native call each (composites of libtorch ops, so autograd flows).</summary>
public static class Functional
{
    /// <summary>RMSNorm (Zhang and Sennrich 2019): x * rsqrt(mean(x^2, -1) + eps) * weight.</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps = 1e-5) =>
        new(Native.ato_rms_norm(x.Handle, weight.Handle, eps));

    /// <summary>Rotary position embedding, GPT-NeoX "rotate half" layout: x [B,H,T,D], cos/sin broadcastable to it.</summary>
    public static Tensor Rotary(Tensor x, Tensor cos, Tensor sin) => new(Native.ato_rotary(x.Handle, cos.Handle, sin.Handle));

    /// <summary>SwiGLU (Shazeer 2020): silu(gate) * up for a fused [.., 2H] gate|up projection -> [.., H].</summary>
    public static Tensor SwiGlu(Tensor gateUp) => new(Native.ato_swiglu(gateUp.Handle));

    /// <summary>Splits a fused [B, T, 3*H*D] projection into q, k, v [B, H, T, D], rotary applied to q and k.</summary>
    public static unsafe (Tensor Q, Tensor K, Tensor V) QkvRotary(Tensor qkv, int heads, Tensor cos, Tensor sin)
    {
        var out3 = stackalloc nint[3];
        Native.Check(Native.ato_qkv_rotary(qkv.Handle, heads, cos.Handle, sin.Handle, out3));
        return (new Tensor(out3[0]), new Tensor(out3[1]), new Tensor(out3[2]));
    }

    /// <summary>
    /// softmax(q k^T / sqrt(D)) v with q [B,H,Tq,D], k/v [B,H,Tk,D]. <paramref name="causal"/>: query i sees keys
    /// j &lt;= i + (Tk - Tq) (so a decode step with a KV cache is causal too). <paramref name="keyValid"/> [B,Tk] bool,
    /// optional: false keys (padding) get no weight. A query row with no visible key yields finite garbage, not NaN.
    /// </summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, bool causal, Tensor? keyValid = null)
    {
        var r = new Tensor(Native.ato_attention(q.Handle, k.Handle, v.Handle, causal ? 1 : 0, keyValid?.Handle.DangerousGetHandle() ?? 0));
        GC.KeepAlive(keyValid);
        return r;
    }

    /// <summary>log_softmax(logits)[..., target]: logits [..., V], targets [...] int64 -> [...].</summary>
    public static Tensor TokenLogProbs(Tensor logits, Tensor targets) => new(Native.ato_token_logprobs(logits.Handle, targets.Handle));
}
