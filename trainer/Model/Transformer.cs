using AgentOps.Trainer.Engine;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AgentOps.Trainer.Model;

/// <summary>
/// The policy: a decoder-only transformer over <c>ByteTokenizer</c> ids. Token embedding, <see cref="ModelConfig.Layers"/>
/// blocks, a final RMSNorm and an output head (tied to the embedding by default). Parameters are created from
/// <paramref name="seed"/> so two models with the same seed are identical. Checkpoint names (<c>embed</c>,
/// <c>layers.N.wqkv</c>, ..., <c>final_norm</c>, <c>head</c>) are the parameter names of this module. Call inside a
/// DisposeScope: intermediate tensors join it.
/// </summary>
public sealed class Transformer : nn.Module
{
    [ComponentName(Name = "embed")] private readonly Parameter _embed;
    [ComponentName(Name = "layers")] private readonly ModuleList<TransformerBlock> _blocks;
    [ComponentName(Name = "final_norm")] private readonly Parameter _finalNorm;
    [ComponentName(Name = "head")] private readonly Parameter? _head;
    // Rotary tables are computed from the config, never saved: non-persistent buffers.
    private readonly Tensor _cos, _sin;

    /// <summary>Builds a freshly initialised model on <paramref name="device"/> (the CPU by default).</summary>
    public Transformer(ModelConfig config, ulong seed = 1, Device? device = null) : base("transformer")
    {
        Config = config.Validate();
        Device = device ?? CPU;
        var n = 0UL;
        // One CPU generator per tensor, seeded from (seed, index): the same values on every device.
        Tensor Init(long[] shape, double std)
        {
            using var g = new torch.Generator(seed * 1_000_003UL + n++, CPU);
            return (randn(shape, generator: g) * std).to(Device);
        }
        using var scope = NewDisposeScope();
        _embed = Init([config.VocabSize, config.Dim], config.InitStd).AsModuleParameter();
        _blocks = new ModuleList<TransformerBlock>();
        for (var i = 0; i < config.Layers; i++) _blocks.Add(new TransformerBlock(config, Init, Device));
        _finalNorm = ones(config.Dim, device: Device).AsModuleParameter();
        if (!config.TiedEmbeddings) _head = Init([config.VocabSize, config.Dim], config.InitStd).AsModuleParameter();
        (_cos, _sin) = RotaryTables(config, Device);
        register_buffer("rotary_cos", _cos, persistent: false);
        register_buffer("rotary_sin", _sin, persistent: false);
        RegisterComponents();
    }

    /// <summary>The shape this model was built with.</summary>
    public ModelConfig Config { get; }

    /// <summary>Where the parameters live.</summary>
    public Device Device { get; }

    /// <summary>Total number of scalar weights.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>Parameters AdamW does not decay: the RMSNorm gains.</summary>
    public IEnumerable<Parameter> NoDecay => _blocks.SelectMany(b => b.NoDecay).Append(_finalNorm);

    // cos and sin [ContextLength, HeadDim] for RoFormer frequencies theta^(-2i/D), cos duplicated across the two halves,
    // sin as [-sin, sin] (Functional.Rotary's signed table).
    private static (Tensor Cos, Tensor Sin) RotaryTables(ModelConfig c, Device device)
    {
        int half = c.HeadDim / 2, t = c.ContextLength;
        var cos = new float[t * c.HeadDim];
        var sin = new float[t * c.HeadDim];
        for (var p = 0; p < t; p++)
        for (var i = 0; i < half; i++)
        {
            var angle = p * Math.Pow(c.RopeTheta, -2.0 * i / c.HeadDim);
            cos[p * c.HeadDim + i] = cos[p * c.HeadDim + half + i] = (float)Math.Cos(angle);
            sin[p * c.HeadDim + half + i] = (float)Math.Sin(angle);
            sin[p * c.HeadDim + i] = -sin[p * c.HeadDim + half + i];
        }
        return (tensor(cos, [t, c.HeadDim], device: device).DetachFromDisposeScope(),
                tensor(sin, [t, c.HeadDim], device: device).DetachFromDisposeScope());
    }

    /// <summary>A KV cache for generating <paramref name="batch"/> sequences of up to <paramref name="capacity"/> tokens.</summary>
    /// <remarks>With left-padded batches the capacity (longest prompt + most new tokens) may exceed the context
    /// length: rotary positions are per sequence and stay below it.</remarks>
    public KvCache NewCache(int batch, int capacity) => new(Config, batch, capacity, Device);

    /// <summary>
    /// Final hidden states [B,T,d] (after the last RMSNorm) for int64 <paramref name="tokens"/> [B,T].
    /// <paramref name="positions"/> [B,T] int64: rotary position of each token (null: 0..T-1 for every row, plus the
    /// cache length when generating). <paramref name="keyBias"/> [B, Tk] float: 0 for a key to attend,
    /// <see cref="Functional.Blocked"/> for padding; Tk = T, or
    /// cache length + T with a cache. Positions must stay below the context length. For right-padded training batches
    /// pass null: causality already hides the pads from every real token. With <paramref name="cache"/>, keys/values
    /// are appended and the cache advances by T.
    /// </summary>
    public Tensor ForwardHidden(Tensor tokens, Tensor? positions = null, Tensor? keyBias = null, KvCache? cache = null)
    {
        long b = tokens.size(0), t = tokens.size(1);
        var start = cache?.Length ?? 0;
        if (positions is null && start + t > Config.ContextLength)
            throw new ArgumentOutOfRangeException(nameof(tokens), start + t, $"sequence length exceeds the context length {Config.ContextLength}");
        if (cache != null && start + t > cache.Capacity)
            throw new ArgumentOutOfRangeException(nameof(tokens), start + t, $"sequence length exceeds the KV cache capacity {cache.Capacity}");
        Tensor cos, sin;
        if (positions is null)
        {
            cos = _cos.narrow(0, start, t).view(1, t, 1, 1, Config.HeadDim);
            sin = _sin.narrow(0, start, t).view(1, t, 1, 1, Config.HeadDim);
        }
        else
        {
            cos = Functional.Embedding(_cos, positions).view(b, t, 1, 1, Config.HeadDim);
            sin = Functional.Embedding(_sin, positions).view(b, t, 1, 1, Config.HeadDim);
        }
        var x = Functional.Embedding(_embed, tokens);
        var bias = Functional.AttentionBias(t, start + t, keyBias, Device);
        for (var i = 0; i < _blocks.Count; i++) x = _blocks[i].Forward(x, cos, sin, bias, cache, i, start);
        if (cache != null) cache.Length = start + (int)t;
        return Functional.RmsNorm(x, _finalNorm, Config.NormEps);
    }

    /// <summary>Logits [.., V] from hidden states [.., d].</summary>
    public Tensor Head(Tensor hidden) => F.linear(hidden, _head ?? _embed);

    /// <summary>Logits [B,T,V] for <paramref name="tokens"/> [B,T] (see <see cref="ForwardHidden"/> for the arguments).</summary>
    public Tensor Forward(Tensor tokens, Tensor? positions = null, Tensor? keyBias = null, KvCache? cache = null) =>
        Head(ForwardHidden(tokens, positions, keyBias, cache));

    /// <summary>log p(targets[b,t] | tokens[b, ..t]) [B,T]: the per-token log-probs every loss is built from.</summary>
    public Tensor TokenLogProbs(Tensor tokens, Tensor targets) => Functional.TokenLogProbs(Forward(tokens), targets);
}
