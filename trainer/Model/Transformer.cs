using AgentOps.Trainer.Torch;

namespace AgentOps.Trainer.Model;

/// <summary>
/// The policy: a decoder-only transformer over <c>ByteTokenizer</c> ids. Token embedding, <see cref="ModelConfig.Layers"/>
/// blocks, a final RMSNorm and an output head (tied to the embedding by default). Parameters are created from
/// <paramref name="seed"/> so two models with the same seed are identical. Call inside a <see cref="DisposeScope"/>:
/// intermediate tensors join it.
/// </summary>
public sealed class Transformer : Module
{
    private readonly Parameter _embed, _finalNorm;
    private readonly Parameter? _head;
    private readonly TransformerBlock[] _blocks;
    private readonly Tensor _cos, _sin;

    /// <summary>Builds a freshly initialised model on <paramref name="device"/>.</summary>
    public Transformer(ModelConfig config, ulong seed = 1, Device device = default)
    {
        Config = config.Validate();
        Device = device;
        var n = 0UL;
        Tensor Init(long[] shape, double std)
        {
            using var _ = DisposeScope.Begin();
            return (Tensor.Randn(shape, seed * 1_000_003UL + n++, device) * std).MoveToOuterDisposeScope();
        }
        using var scope = DisposeScope.Begin();
        _embed = RegisterParameter("embed", new Parameter(Init([config.VocabSize, config.Dim], config.InitStd)));
        _blocks = new TransformerBlock[config.Layers];
        for (var i = 0; i < config.Layers; i++)
            _blocks[i] = RegisterModule($"layers.{i}", new TransformerBlock(config, Init, device));
        _finalNorm = RegisterParameter("final_norm", new Parameter(Tensor.Ones([config.Dim], device: device), weightDecay: false));
        if (!config.TiedEmbeddings) _head = RegisterParameter("head", new Parameter(Init([config.VocabSize, config.Dim], config.InitStd)));
        (_cos, _sin) = RotaryTables(config, device);
    }

    /// <summary>The shape this model was built with.</summary>
    public ModelConfig Config { get; }

    /// <summary>Where the parameters live.</summary>
    public Device Device { get; }

    // cos/sin [ContextLength, HeadDim] for RoFormer frequencies theta^(-2i/D), duplicated across the two halves.
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
            sin[p * c.HeadDim + i] = sin[p * c.HeadDim + half + i] = (float)Math.Sin(angle);
        }
        return (Tensor.From(cos, [t, c.HeadDim], device).DetachFromDisposeScope(),
                Tensor.From(sin, [t, c.HeadDim], device).DetachFromDisposeScope());
    }

    /// <summary>A KV cache for generating <paramref name="batch"/> sequences of up to <paramref name="capacity"/> tokens.</summary>
    /// <remarks>With left-padded batches the capacity (longest prompt + most new tokens) may exceed the context
    /// length: rotary positions are per sequence and stay below it.</remarks>
    public KvCache NewCache(int batch, int capacity) => new(Config, batch, capacity, Device);

    /// <summary>
    /// Final hidden states [B,T,d] (after the last RMSNorm) for int64 <paramref name="tokens"/> [B,T].
    /// <paramref name="positions"/> [B,T] int64: rotary position of each token (null: 0..T-1 for every row, plus the
    /// cache length when generating). <paramref name="keyValid"/> [B, Tk] bool: false marks padding keys; Tk = T, or
    /// cache length + T with a cache. Positions must stay below the context length. For right-padded training batches pass null: causality already hides the pads
    /// from every real token. With <paramref name="cache"/>, keys/values are appended and the cache advances by T.
    /// </summary>
    public Tensor ForwardHidden(Tensor tokens, Tensor? positions = null, Tensor? keyValid = null, KvCache? cache = null)
    {
        long b = tokens.Size(0), t = tokens.Size(1);
        var start = cache?.Length ?? 0;
        if (positions == null && start + t > Config.ContextLength)
            throw new ArgumentOutOfRangeException(nameof(tokens), start + t, $"sequence length exceeds the context length {Config.ContextLength}");
        if (cache != null && start + t > cache.Capacity)
            throw new ArgumentOutOfRangeException(nameof(tokens), start + t, $"sequence length exceeds the KV cache capacity {cache.Capacity}");
        Tensor cos, sin;
        if (positions == null)
        {
            cos = _cos.Narrow(0, start, t).View(1, 1, t, Config.HeadDim);
            sin = _sin.Narrow(0, start, t).View(1, 1, t, Config.HeadDim);
        }
        else
        {
            cos = Tensor.Embedding(_cos, positions).Unsqueeze(1);
            sin = Tensor.Embedding(_sin, positions).Unsqueeze(1);
        }
        var x = Tensor.Embedding(_embed, tokens);
        for (var i = 0; i < _blocks.Length; i++) x = _blocks[i].Forward(x, cos, sin, keyValid, cache, i, start);
        if (cache != null) cache.Length = start + (int)t;
        return Functional.RmsNorm(x, _finalNorm, Config.NormEps);
    }

    /// <summary>Logits [.., V] from hidden states [.., d].</summary>
    public Tensor Head(Tensor hidden) => Tensor.Linear(hidden, _head ?? _embed);

    /// <summary>Logits [B,T,V] for <paramref name="tokens"/> [B,T] (see <see cref="ForwardHidden"/> for the arguments).</summary>
    public Tensor Forward(Tensor tokens, Tensor? positions = null, Tensor? keyValid = null, KvCache? cache = null) =>
        Head(ForwardHidden(tokens, positions, keyValid, cache));

    /// <summary>log p(targets[b,t] | tokens[b, ..t]) [B,T]: the per-token log-probs every loss is built from.</summary>
    public Tensor TokenLogProbs(Tensor tokens, Tensor targets) => Functional.TokenLogProbs(Forward(tokens), targets);

    /// <inheritdoc/>
    public override void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
        base.Dispose();
    }
}
