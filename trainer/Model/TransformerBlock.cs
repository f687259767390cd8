using AgentOps.Trainer.Engine;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AgentOps.Trainer.Model;

/// <summary>One pre-norm decoder block (LLaMA layout): x + Attn(RMSNorm(x)), then x + SwiGLU(RMSNorm(x)).
/// Q, K, V share one [3d, d] matrix and gate/up one [2h, d] matrix so each is a single big GEMM. Parameter names
/// (checkpoint keys under <c>layers.N.</c>) are fixed by <see cref="ComponentNameAttribute"/>.</summary>
public sealed class TransformerBlock : nn.Module
{
    private readonly ModelConfig _c;
    [ComponentName(Name = "attn_norm")] private readonly Parameter _attnNorm;
    [ComponentName(Name = "wqkv")] private readonly Parameter _wqkv;
    [ComponentName(Name = "wo")] private readonly Parameter _wo;
    [ComponentName(Name = "mlp_norm")] private readonly Parameter _mlpNorm;
    [ComponentName(Name = "w_gate_up")] private readonly Parameter _wGateUp;
    [ComponentName(Name = "w_down")] private readonly Parameter _wDown;

    internal TransformerBlock(ModelConfig c, Func<long[], double, Tensor> init, Device device) : base("block")
    {
        _c = c;
        var residualStd = c.InitStd / Math.Sqrt(2.0 * c.Layers);
        using var scope = NewDisposeScope();
        _attnNorm = ones(c.Dim, device: device).AsModuleParameter();
        _wqkv = init([3 * c.Dim, c.Dim], c.InitStd).AsModuleParameter();
        _wo = init([c.Dim, c.Dim], residualStd).AsModuleParameter();
        _mlpNorm = ones(c.Dim, device: device).AsModuleParameter();
        _wGateUp = init([2 * c.MlpHidden, c.Dim], c.InitStd).AsModuleParameter();
        _wDown = init([c.Dim, c.MlpHidden], residualStd).AsModuleParameter();
        RegisterComponents();
    }

    /// <summary>Parameters AdamW does not decay (the norms' gains).</summary>
    internal IEnumerable<Parameter> NoDecay => [_attnNorm, _mlpNorm];

    /// <summary>x [B,T,d] -> [B,T,d]. cos/sin [B or 1, T, 1, 1, D]; bias from Functional.AttentionBias; with a cache, this
    /// block's keys/values are written at cache positions [start, start+T) and attention spans [0, start+T).</summary>
    internal Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? bias, KvCache? cache, int layer, int start)
    {
        long b = x.size(0), t = x.size(1);
        var h = Functional.RmsNorm(x, _attnNorm, _c.NormEps);
        var (q, k, v) = Functional.QkvRotary(F.linear(h, _wqkv), _c.Heads, cos, sin);
        if (cache != null)
        {
            cache.Keys[layer].narrow(2, start, t).copy_(k);
            cache.Values[layer].narrow(2, start, t).copy_(v);
            k = cache.Keys[layer].narrow(2, 0, start + t);
            v = cache.Values[layer].narrow(2, 0, start + t);
        }
        var att = Functional.Attention(q, k, v, bias).transpose(1, 2).reshape(b, t, _c.Dim);
        x = x + F.linear(att, _wo);
        var gu = F.linear(Functional.RmsNorm(x, _mlpNorm, _c.NormEps), _wGateUp);
        return x + F.linear(Functional.SwiGlu(gu), _wDown);
    }
}
