using static TorchSharp.torch;

namespace AgentOps.Trainer.Model;

/// <summary>
/// Keys and values of every layer for a batch being generated: [B, H, Capacity, D] per layer, filled left to
/// right; <see cref="Length"/> positions are written. Created by <see cref="Transformer.NewCache"/>.
/// </summary>
public sealed class KvCache : IDisposable
{
    internal KvCache(ModelConfig config, int batch, int capacity, Device device)
    {
        Capacity = capacity;
        Keys = new Tensor[config.Layers];
        Values = new Tensor[config.Layers];
        for (var i = 0; i < config.Layers; i++)
        {
            Keys[i] = zeros([batch, config.Heads, capacity, config.HeadDim], device: device).DetachFromDisposeScope();
            Values[i] = zeros([batch, config.Heads, capacity, config.HeadDim], device: device).DetachFromDisposeScope();
        }
    }

    internal Tensor[] Keys { get; }
    internal Tensor[] Values { get; }

    /// <summary>Positions per sequence the cache can hold.</summary>
    public int Capacity { get; }

    /// <summary>Positions written so far (advanced by <see cref="Transformer.ForwardHidden"/>).</summary>
    public int Length { get; internal set; }

    /// <summary>Frees the cache.</summary>
    public void Dispose()
    {
        foreach (var t in Keys) t.Dispose();
        foreach (var t in Values) t.Dispose();
    }
}
