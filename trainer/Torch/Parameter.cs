namespace AgentOps.Trainer.Torch;

/// <summary>
/// A trainable leaf tensor (torch.nn.Parameter): requires grad, never joins a <see cref="DisposeScope"/> (its
/// <see cref="Module"/> disposes it). <see cref="WeightDecay"/> false exempts it from AdamW's decay (norms, biases).
/// </summary>
public sealed class Parameter : Tensor
{
    /// <summary>Wraps a copy-free detached alias of <paramref name="data"/> as a leaf that requires grad; the caller
    /// still owns (and may dispose) <paramref name="data"/>.</summary>
    public Parameter(Tensor data, bool weightDecay = true) : base(Native.ato_detach(data.Handle), attachToScope: false)
    {
        RequiresGrad = true;
        WeightDecay = weightDecay;
    }

    /// <summary>Whether AdamW applies decoupled weight decay to this parameter.</summary>
    public bool WeightDecay { get; }
}
