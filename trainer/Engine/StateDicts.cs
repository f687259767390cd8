using static TorchSharp.torch;

namespace AgentOps.Trainer.Engine;

/// <summary>
/// Copies named tensors into a module's parameters after checking every name and shape, so a wrong checkpoint never
/// half-loads. Ours because TorchSharp's load_state_dict names no key in its error ("not identical") and copy_
/// broadcasts, so a [1, d] tensor would silently fill a [V, d] parameter.
/// </summary>
public static class StateDicts
{
    /// <summary>Every parameter of <paramref name="module"/> must be in <paramref name="state"/> with its shape, and
    /// nothing else may be; <paramref name="what"/> starts each error message.</summary>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, Tensor> state, string what = "state dict")
    {
        var named = module.named_parameters().ToList();
        foreach (var (name, p) in named)
        {
            if (!state.TryGetValue(name, out var src))
                throw new KeyNotFoundException($"{what}: missing parameter '{name}'");
            if (!src.shape.SequenceEqual(p.shape))
                throw new ArgumentException($"{what}: parameter '{name}' has shape [{string.Join(", ", p.shape)}], " +
                                            $"the source has [{string.Join(", ", src.shape)}]");
        }
        var known = named.Select(x => x.name).ToHashSet();
        var extra = state.Keys.Where(k => !known.Contains(k)).ToList();
        if (extra.Count > 0) throw new ArgumentException($"{what}: unexpected entries {string.Join(", ", extra)}");
        using var _ = no_grad();
        foreach (var (name, p) in named) p.copy_(state[name]);
    }
}
