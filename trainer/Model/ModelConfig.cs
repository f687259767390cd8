using AgentOps.Protos.Tokenization;

namespace AgentOps.Trainer.Model;

/// <summary>
/// Shape of the decoder-only transformer (LLaMA-style: RMSNorm, rotary positions, SwiGLU MLP, no biases).
/// Every knob is named with a default; <see cref="FromPreset"/> gives the two presets the manifest names.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Preset name ("tiny", "small", or "custom").</summary>
    public string Preset { get; init; } = "custom";
    public int Layers { get; init; } = 4;
    /// <summary>Model width d.</summary>
    public int Dim { get; init; } = 128;
    public int Heads { get; init; } = 4;
    /// <summary>SwiGLU hidden width (about 8/3 d, rounded up to a multiple of 32).</summary>
    public int MlpHidden { get; init; } = 352;
    /// <summary>Longest sequence (prompt + generated) the model handles.</summary>
    public int ContextLength { get; init; } = 512;
    public int VocabSize { get; init; } = ByteTokenizer.VocabSize;
    /// <summary>Output head shares the token embedding matrix.</summary>
    public bool TiedEmbeddings { get; init; } = true;
    public double RopeTheta { get; init; } = 10000;
    public double NormEps { get; init; } = 1e-5;
    /// <summary>Std of the normal initialisation (GPT-2's 0.02; residual projections get / sqrt(2 layers)).</summary>
    public double InitStd { get; init; } = 0.02;

    /// <summary>Width of one attention head.</summary>
    public int HeadDim => Dim / Heads;

    /// <summary>4 layers, d=128, 4 heads, context 512: about 0.84M parameters (DESIGN.md: learns fastest on 2 cores).</summary>
    public static ModelConfig Tiny { get; } = new() { Preset = "tiny", Layers = 4, Dim = 128, Heads = 4, MlpHidden = 352 };

    /// <summary>4 layers, d=256, 4 heads, context 512: about 3.3M parameters.</summary>
    public static ModelConfig Small { get; } = new() { Preset = "small", Layers = 4, Dim = 256, Heads = 4, MlpHidden = 704 };

    /// <summary>The config for a manifest's <c>spec.policy.preset</c>.</summary>
    public static ModelConfig FromPreset(string preset) => preset switch
    {
        "tiny" => Tiny,
        "small" => Small,
        _ => throw new ArgumentException($"spec.policy.preset: must be tiny or small, got '{preset}'", nameof(preset)),
    };

    /// <summary>Throws when the shape is inconsistent, naming the field and value.</summary>
    public ModelConfig Validate()
    {
        if (Layers < 1) throw new ArgumentException($"model.layers: must be >= 1, got {Layers}");
        if (Heads < 1 || Dim % Heads != 0) throw new ArgumentException($"model.heads: must divide dim {Dim}, got {Heads}");
        if (HeadDim % 2 != 0) throw new ArgumentException($"model.dim/heads: head width must be even for rotary positions, got {HeadDim}");
        if (ContextLength < 2) throw new ArgumentException($"model.contextLength: must be >= 2, got {ContextLength}");
        if (MlpHidden < 1) throw new ArgumentException($"model.mlpHidden: must be >= 1, got {MlpHidden}");
        return this;
    }

    /// <summary>Matmul FLOPs of one forward pass per token at sequence length <paramref name="seqLen"/> (2 per
    /// multiply-add: weights plus causal attention scores and values, about half the T x T square).</summary>
    public double ForwardFlopsPerToken(int seqLen)
    {
        double perLayer = 2.0 * (4.0 * Dim * Dim + 3.0 * Dim * MlpHidden) + 2.0 * 2.0 * Dim * seqLen / 2.0;
        return Layers * perLayer + 2.0 * Dim * VocabSize;
    }
}
