namespace AgentOps.Trainer.Torch;

/// <summary>AdamW hyper-parameters (torch.optim.AdamW defaults except weight decay).</summary>
public sealed record AdamWOptions
{
    public double LearningRate { get; init; } = 1e-3;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double Eps { get; init; } = 1e-8;
    /// <summary>Decoupled weight decay for parameters with <see cref="Parameter.WeightDecay"/> set.</summary>
    public double WeightDecay { get; init; } = 0.1;
}

/// <summary>
/// AdamW (Loshchilov and Hutter 2019; torch.optim.AdamW semantics: decoupled decay, bias correction), one native
/// call per step over every parameter. Moments live next to the parameters (same device) and are saved with
/// checkpoints through <see cref="NamedState"/>. Parameters without a grad are skipped (their moments stay put).
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly List<(string Name, Parameter Param)> _params;
    private readonly Tensor[] _m;
    private readonly Tensor[] _v;
    private readonly double[] _wd;

    /// <summary>Optimises <paramref name="parameters"/> (names as from <see cref="Module.NamedParameters"/>).</summary>
    public AdamW(IEnumerable<(string Name, Parameter Param)> parameters, AdamWOptions? options = null)
    {
        Options = options ?? new AdamWOptions();
        LearningRate = Options.LearningRate;
        _params = parameters.ToList();
        _m = new Tensor[_params.Count];
        _v = new Tensor[_params.Count];
        _wd = new double[_params.Count];
        for (var i = 0; i < _params.Count; i++)
        {
            var p = _params[i].Param;
            _m[i] = Tensor.Zeros(p.Shape, p.DType, p.Device).DetachFromDisposeScope();
            _v[i] = Tensor.Zeros(p.Shape, p.DType, p.Device).DetachFromDisposeScope();
            _wd[i] = p.WeightDecay ? Options.WeightDecay : 0;
        }
    }

    /// <summary>The options given at construction.</summary>
    public AdamWOptions Options { get; }

    /// <summary>Learning rate of the next step (a schedule sets it before each <see cref="Step"/>).</summary>
    public double LearningRate { get; set; }

    /// <summary>Updates taken so far (bias correction uses StepCount after increment).</summary>
    public long StepCount { get; private set; }

    /// <summary>Applies one update from the parameters' current gradients.</summary>
    public unsafe void Step()
    {
        StepCount++;
        var ps = Tensor.Handles(_params.Select(x => (Tensor)x.Param).ToList());
        var ms = Tensor.Handles(_m);
        var vs = Tensor.Handles(_v);
        fixed (nint* p = ps)
        fixed (nint* m = ms)
        fixed (nint* v = vs)
        fixed (double* wd = _wd)
        {
            Native.Check(Native.ato_adamw_step(p, m, v, wd, ps.Length, LearningRate, Options.Beta1, Options.Beta2, Options.Eps, StepCount));
        }
        GC.KeepAlive(_params);
        GC.KeepAlive(_m);
        GC.KeepAlive(_v);
    }

    /// <summary>Drops every parameter's gradient.</summary>
    public unsafe void ZeroGrad()
    {
        var ps = Tensor.Handles(_params.Select(x => (Tensor)x.Param).ToList());
        fixed (nint* p = ps) Native.Check(Native.ato_zero_grad(p, ps.Length));
        GC.KeepAlive(_params);
    }

    /// <summary>Optimizer state by name: <c>exp_avg.NAME</c> and <c>exp_avg_sq.NAME</c> (live tensors, not copies).</summary>
    public IEnumerable<(string Name, Tensor Value)> NamedState()
    {
        for (var i = 0; i < _params.Count; i++)
        {
            yield return ("exp_avg." + _params[i].Name, _m[i]);
            yield return ("exp_avg_sq." + _params[i].Name, _v[i]);
        }
    }

    /// <summary>Restores moments and the step count saved from <see cref="NamedState"/>.</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> state, long stepCount)
    {
        using var _ = new NoGradScope();
        foreach (var (name, t) in NamedState())
        {
            if (!state.TryGetValue(name, out var src)) throw new KeyNotFoundException($"optimizer state: missing '{name}'");
            if (!src.Shape.SequenceEqual(t.Shape))
                throw new ArgumentException($"optimizer state: '{name}' has shape [{string.Join(", ", t.Shape)}], checkpoint has [{string.Join(", ", src.Shape)}]");
            t.CopyFrom_(src);
        }
        StepCount = stepCount >= 0 ? stepCount : throw new ArgumentOutOfRangeException(nameof(stepCount), stepCount, "step count must be >= 0");
    }

    /// <summary>Frees the moment tensors.</summary>
    public void Dispose()
    {
        foreach (var t in _m) t.Dispose();
        foreach (var t in _v) t.Dispose();
    }
}
