using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Engine;

/// <summary>AdamW hyper-parameters (torch.optim.AdamW's except beta2 and weight decay).</summary>
public sealed record AdamWOptions
{
    public double LearningRate { get; init; } = 1e-3;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double Eps { get; init; } = 1e-8;
    /// <summary>Decoupled weight decay for every parameter not named as exempt (norm gains, biases).</summary>
    public double WeightDecay { get; init; } = 0.1;
}

/// <summary>
/// TorchSharp's AdamW (Loshchilov and Hutter 2019, torch.optim.AdamW semantics) over named parameters, so its moments
/// can be saved and restored by name (<c>exp_avg.NAME</c>, <c>exp_avg_sq.NAME</c>: the checkpoint layout). Two
/// parameter groups: decayed, and exempt from decay. Gradients are cleared to none, not zero, before each backward
/// (PyTorch's zero_grad default), so a parameter outside this step's loss is left alone by the update.
/// TorchSharp's AdamW runs its update as ~9 tensor ops per parameter; libtorch's fused and foreach AdamW kernels
/// are not bound by TorchSharp 0.107 (the step's share of a training step is in README, "Tensor engine").
/// </summary>
public sealed class NamedAdamW : IDisposable
{
    private readonly List<(string Name, Parameter Param)> _params;
    private readonly AdamW _adamw;

    /// <summary>Optimises <paramref name="parameters"/> (names as from named_parameters()); the ones in
    /// <paramref name="noDecay"/> get no weight decay.</summary>
    public NamedAdamW(IEnumerable<(string Name, Parameter Param)> parameters, AdamWOptions? options = null, IEnumerable<Parameter>? noDecay = null)
    {
        Options = options ?? new AdamWOptions();
        _params = parameters.ToList();
        var exempt = (noDecay ?? []).Select(p => p.Handle).ToHashSet();
        // Group order fixes the order of the optimizer's state list; keep it = the parameter order within each group.
        var decayed = _params.Where(p => !exempt.Contains(p.Param.Handle)).ToList();
        var plain = _params.Where(p => exempt.Contains(p.Param.Handle)).ToList();
        _params = [.. decayed, .. plain];
        _adamw = new AdamW(
            [
                new AdamW.ParamGroup(decayed.Select(p => p.Param), Options.LearningRate, Options.Beta1, Options.Beta2, Options.Eps, Options.WeightDecay, false, false),
                new AdamW.ParamGroup(plain.Select(p => p.Param), Options.LearningRate, Options.Beta1, Options.Beta2, Options.Eps, 0, false, false),
            ],
            Options.LearningRate, Options.Beta1, Options.Beta2, Options.Eps, Options.WeightDecay);
    }

    /// <summary>The options given at construction.</summary>
    public AdamWOptions Options { get; }

    /// <summary>Learning rate of the next step (a schedule sets it before each <see cref="Step"/>).</summary>
    public double LearningRate
    {
        get => _adamw.ParamGroups.First().LearningRate;
        set
        {
            foreach (var g in _adamw.ParamGroups) g.LearningRate = value;
        }
    }

    /// <summary>Updates taken so far: the most any parameter took (all take every step unless outside the loss).</summary>
    public long StepCount => States().Max(s => (long?)s.State.step) ?? 0;

    /// <summary>Applies one update from the parameters' current gradients.</summary>
    public void Step() => _adamw.step();

    /// <summary>Drops every parameter's gradient (set to none).</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in _params) p.grad = null;
    }

    /// <summary>Moments by name: <c>exp_avg.NAME</c> and <c>exp_avg_sq.NAME</c> (live tensors, not copies).</summary>
    public IEnumerable<(string Name, Tensor Value)> NamedState()
    {
        foreach (var (name, state) in States())
        {
            yield return ("exp_avg." + name, state.exp_avg);
            yield return ("exp_avg_sq." + name, state.exp_avg_sq);
        }
    }

    /// <summary>Restores moments saved by <see cref="NamedState"/> and sets every parameter's step count.</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> state, long stepCount)
    {
        if (stepCount < 0) throw new ArgumentOutOfRangeException(nameof(stepCount), stepCount, "step count must be >= 0");
        using var _ = no_grad();
        foreach (var (name, t) in NamedState())
        {
            if (!state.TryGetValue(name, out var src)) throw new KeyNotFoundException($"optimizer state: missing '{name}'");
            if (!src.shape.SequenceEqual(t.shape))
                throw new ArgumentException($"optimizer state: '{name}' has shape [{string.Join(", ", t.shape)}], checkpoint has [{string.Join(", ", src.shape)}]");
            t.copy_(src);
        }
        foreach (var (_, s) in States()) s.step = stepCount;
    }

    private IEnumerable<(string Name, AdamW.State State)> States() =>
        _params.Zip(_adamw.state_dict().State, (p, s) => (p.Name, (AdamW.State)s));

    /// <summary>Frees the moment tensors.</summary>
    public void Dispose() => _adamw.Dispose();
}
