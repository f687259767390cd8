namespace AgentOps.Trainer.Torch;

/// <summary>
/// A libtorch tensor (shaped like TorchSharp's <c>torch.Tensor</c>). Owns one native handle: dispose it, or create
/// it inside a <see cref="DisposeScope"/> that disposes every tensor made in it (the finalizer is only a backstop).
/// Operations allocate new tensors; methods ending in <c>_</c> work in place. Autograd: set
/// <see cref="RequiresGrad"/> (or use <see cref="Parameter"/>), call <see cref="Backward"/>, read <see cref="Grad"/>.
/// </summary>
public partial class Tensor : IDisposable
{
    internal readonly TensorHandle Handle;
    internal DisposeScope? Scope;
    private long[]? _shape;

    /// <summary>Wraps a handle returned by the shim (throws its error when it is null) and joins the current scope.</summary>
    internal Tensor(nint handle) : this(handle, attachToScope: true) { }

    private protected Tensor(nint handle, bool attachToScope)
    {
        Handle = new TensorHandle(Native.Check(handle));
        if (attachToScope) DisposeScope.Current?.Attach(this);
    }

    /// <summary>Sizes of each dimension.</summary>
    public unsafe long[] Shape
    {
        get
        {
            if (_shape != null) return _shape;
            var n = Native.ato_ndim(Handle);
            var s = new long[n];
            fixed (long* p = s) Native.Check(Native.ato_shape(Handle, p));
            return _shape = s;
        }
    }

    /// <summary>Number of dimensions.</summary>
    public int Dim => Shape.Length;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public long Size(int dim) => Shape[dim < 0 ? Shape.Length + dim : dim];

    /// <summary>Number of elements.</summary>
    public long Numel => Native.ato_numel(Handle);

    /// <summary>Element type.</summary>
    public ScalarType DType => (ScalarType)Native.ato_dtype(Handle);

    /// <summary>Where the data lives.</summary>
    public Device Device => Device.FromIndex(Native.ato_device(Handle));

    /// <summary>Whether autograd records operations on this tensor.</summary>
    public bool RequiresGrad
    {
        get => Native.ato_requires_grad(Handle) != 0;
        set => Native.Check(Native.ato_set_requires_grad(Handle, value ? 1 : 0));
    }

    /// <summary>The accumulated gradient of a leaf after <see cref="Backward"/>, or null when there is none.</summary>
    public Tensor? Grad
    {
        get
        {
            var h = Native.ato_grad(Handle);
            if (h != 0) return new Tensor(h);
            var err = Native.LastError();
            return err.Length == 0 ? null : throw new TorchException(err);
        }
    }

    /// <summary>Backpropagates from this scalar (or with an explicit output gradient).</summary>
    public void Backward(Tensor? gradient = null)
    {
        Native.Check(Native.ato_backward(Handle, gradient?.Handle.DangerousGetHandle() ?? 0));
        GC.KeepAlive(gradient);
    }

    /// <summary>Frees the native tensor now.</summary>
    public void Dispose()
    {
        Scope?.Detach(this);
        Handle.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => Handle.IsClosed;

    /// <summary>Keeps this tensor alive past the current <see cref="DisposeScope"/> by moving it to the enclosing one
    /// (or to no scope at all).</summary>
    public Tensor MoveToOuterDisposeScope()
    {
        var outer = Scope?.Outer;
        Scope?.Detach(this);
        outer?.Attach(this);
        return this;
    }

    /// <summary>Takes this tensor out of every dispose scope: the caller now owns it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        Scope?.Detach(this);
        return this;
    }

    /// <inheritdoc/>
    public override string ToString() => $"Tensor[{string.Join(", ", Shape)}] {DType} {Device}";
}
