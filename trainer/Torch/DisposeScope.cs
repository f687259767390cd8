namespace AgentOps.Trainer.Torch;

/// <summary>
/// Frees every tensor created on this thread while it is the innermost scope (TorchSharp's
/// <c>torch.NewDisposeScope()</c>): <c>using var scope = DisposeScope.Begin();</c>. Keep a result with
/// <see cref="Tensor.MoveToOuterDisposeScope"/> or <see cref="Tensor.DetachFromDisposeScope"/>. Parameters never join.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;
    private readonly HashSet<Tensor> _tensors = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    private DisposeScope(DisposeScope? outer) => Outer = outer;

    /// <summary>The innermost scope on this thread, or null.</summary>
    public static DisposeScope? Current => _current;

    /// <summary>The scope this one is nested in.</summary>
    public DisposeScope? Outer { get; }

    /// <summary>Tensors this scope will free.</summary>
    public int Count => _tensors.Count;

    /// <summary>Opens a scope nested in the current one.</summary>
    public static DisposeScope Begin() => _current = new DisposeScope(_current);

    internal void Attach(Tensor t)
    {
        _tensors.Add(t);
        t.Scope = this;
    }

    internal void Detach(Tensor t)
    {
        _tensors.Remove(t);
        t.Scope = null;
    }

    /// <summary>Frees every tensor still in the scope and makes the outer scope current again.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!ReferenceEquals(_current, this))
            throw new InvalidOperationException("DisposeScope disposed out of order (an inner scope is still open)");
        _current = Outer;
        foreach (var t in _tensors)
        {
            t.Scope = null;
            t.Dispose();
        }
        _tensors.Clear();
    }
}
