using AgentOps.Trainer.Torch;

namespace AgentOps.Trainer.Model;

/// <summary>One pre-norm decoder block (LLaMA layout): x + Attn(RMSNorm(x)), then x + SwiGLU(RMSNorm(x)).
/// Q, K, V share one [3d, d] matrix and gate/up one [2h, d] matrix so each is a single big GEMM.</summary>
public sealed class TransformerBlock : Module
{
    private readonly ModelConfig _c;
    private readonly Parameter _attnNorm, _wqkv, _wo, _mlpNorm, _wGateUp, _wDown;

    internal TransformerBlock(ModelConfig c, Func<long[], double, Tensor> init, Device device)
    {
        _c = c;
        var residualStd = c.InitStd / Math.Sqrt(2.0 * c.Layers);
        _attnNorm = RegisterParameter("attn_norm", new Parameter(Tensor.Ones([c.Dim], device: device), weightDecay: false));
        _wqkv = RegisterParameter("wqkv", new Parameter(init([3 * c.Dim, c.Dim], c.InitStd)));
        _wo = RegisterParameter("wo", new Parameter(init([c.Dim, c.Dim], residualStd)));
        _mlpNorm = RegisterParameter("mlp_norm", new Parameter(Tensor.Ones([c.Dim], device: device), weightDecay: false));
        _wGateUp = RegisterParameter("w_gate_up", new Parameter(init([2 * c.MlpHidden, c.Dim], c.InitStd)));
        _wDown = RegisterParameter("w_down", new Parameter(init([c.Dim, c.MlpHidden], residualStd)));
    }

    /// <summary>x [B,T,d] -> [B,T,d]. cos/sin [B or 1, 1, T, D]; keyValid [B, Tk] or null; with a cache, this
    /// block's keys/values are written at cache positions [start, start+T) and attention spans [0, start+T).</summary>
    internal Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? keyValid, KvCache? cache, int layer, int start)
    {
        long b = x.Size(0), t = x.Size(1);
        var h = Functional.RmsNorm(x, _attnNorm, _c.NormEps);
        var (q, k, v) = Functional.QkvRotary(Tensor.Linear(h, _wqkv), _c.Heads, cos, sin);
        if (cache != null)
        {
            cache.Keys[layer].Narrow(2, start, t).CopyFrom_(k);
            cache.Values[layer].Narrow(2, start, t).CopyFrom_(v);
            k = cache.Keys[layer].Narrow(2, 0, start + t);
            v = cache.Values[layer].Narrow(2, 0, start + t);
        }
        var att = Functional.Attention(q, k, v, causal: true, keyValid).Transpose(1, 2).Reshape(b, t, _c.Dim);
        x = x + Tensor.Linear(att, _wo);
        var gu = Tensor.Linear(Functional.RmsNorm(x, _mlpNorm, _c.NormEps), _wGateUp);
        return x + Tensor.Linear(Functional.SwiGlu(gu), _wDown);
    }
}
