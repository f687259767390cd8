namespace AgentOps.Trainer.Torch;

/// <summary>
/// A container of named parameters and submodules (torch.nn.Module): names join with '.', e.g.
/// <c>layers.0.attn.wqkv</c>, in registration order. Disposing a module frees its parameters.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Parameter Param)> _parameters = [];
    private readonly List<(string Name, Module Module)> _modules = [];

    /// <summary>Registers a parameter under <paramref name="name"/> and returns it.</summary>
    protected Parameter RegisterParameter(string name, Parameter p)
    {
        _parameters.Add((name, p));
        return p;
    }

    /// <summary>Registers a submodule under <paramref name="name"/> and returns it.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        _modules.Add((name, module));
        return module;
    }

    /// <summary>Every parameter with its dotted name, this module's first, then each submodule's.</summary>
    public IEnumerable<(string Name, Parameter Param)> NamedParameters(string prefix = "")
    {
        foreach (var (n, p) in _parameters) yield return (prefix + n, p);
        foreach (var (n, m) in _modules)
        {
            foreach (var x in m.NamedParameters(prefix + n + ".")) yield return x;
        }
    }

    /// <summary>Every parameter.</summary>
    public IReadOnlyList<Parameter> Parameters() => NamedParameters().Select(x => x.Param).ToList();

    /// <summary>Total number of scalar weights.</summary>
    public long ParameterCount => NamedParameters().Sum(x => x.Param.Numel);

    /// <summary>Drops every parameter's gradient (set to undefined, like zero_grad(set_to_none=True)).</summary>
    public unsafe void ZeroGrad()
    {
        var ps = Parameters();
        var hs = Tensor.Handles(ps);
        fixed (nint* p = hs) Native.Check(Native.ato_zero_grad(p, hs.Length));
        GC.KeepAlive(ps);
    }

    /// <summary>Copies values into the parameters by name (no autograd). Every parameter must be present with the
    /// same shape; extra entries are an error too, so a wrong checkpoint never half-loads.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        var named = NamedParameters().ToList();
        foreach (var (name, p) in named)
        {
            if (!state.TryGetValue(name, out var src))
                throw new KeyNotFoundException($"state dict: missing parameter '{name}'");
            if (!src.Shape.SequenceEqual(p.Shape))
                throw new ArgumentException($"state dict: parameter '{name}' has shape [{string.Join(", ", p.Shape)}], " +
                                            $"checkpoint has [{string.Join(", ", src.Shape)}]");
        }
        var known = named.Select(x => x.Name).ToHashSet();
        var extra = state.Keys.Where(k => !known.Contains(k)).ToList();
        if (extra.Count > 0) throw new ArgumentException($"state dict: unexpected entries {string.Join(", ", extra)}");
        using var _ = new NoGradScope();
        foreach (var (name, p) in named) p.CopyFrom_(state[name]);
    }

    /// <summary>Frees every parameter and submodule.</summary>
    public virtual void Dispose()
    {
        foreach (var (_, p) in _parameters) p.Dispose();
        foreach (var (_, m) in _modules) m.Dispose();
        GC.SuppressFinalize(this);
    }
}
