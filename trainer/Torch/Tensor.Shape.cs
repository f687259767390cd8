namespace AgentOps.Trainer.Torch;

// Linear algebra, indexing, shape and device changes.
public partial class Tensor
{
    /// <summary>Matrix product with batch broadcasting (torch.matmul).</summary>
    public Tensor MatMul(Tensor other) => new(Native.ato_matmul(Handle, other.Handle));

    /// <summary>x W^T + b with W [out, in] (torch.nn.functional.linear); <paramref name="bias"/> may be null.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        var r = new Tensor(Native.ato_linear(x.Handle, weight.Handle, bias?.Handle.DangerousGetHandle() ?? 0));
        GC.KeepAlive(bias);
        return r;
    }

    /// <summary>Rows of <paramref name="weight"/> [V, D] picked by int64 <paramref name="ids"/>: shape ids.shape + [D].</summary>
    public static Tensor Embedding(Tensor weight, Tensor ids) => new(Native.ato_embedding(weight.Handle, ids.Handle));

    /// <summary>torch.gather: out[i][j] = this[i][index[i][j]] along <paramref name="dim"/>.</summary>
    public Tensor Gather(long dim, Tensor index) => new(Native.ato_gather(Handle, dim, index.Handle));

    public Tensor IndexSelect(long dim, Tensor index) => new(Native.ato_index_select(Handle, dim, index.Handle));

    /// <summary>Same data in a new shape (one dimension may be -1); copies only when needed.</summary>
    public unsafe Tensor Reshape(params long[] shape)
    {
        fixed (long* s = shape) return new Tensor(Native.ato_reshape(Handle, s, shape.Length));
    }

    /// <summary>A view in a new shape (fails for non-contiguous layouts, like torch).</summary>
    public unsafe Tensor View(params long[] shape)
    {
        fixed (long* s = shape) return new Tensor(Native.ato_view(Handle, s, shape.Length));
    }

    public Tensor Transpose(long dim0, long dim1) => new(Native.ato_transpose(Handle, dim0, dim1));

    public unsafe Tensor Permute(params long[] order)
    {
        fixed (long* s = order) return new Tensor(Native.ato_permute(Handle, s, order.Length));
    }

    public Tensor Unsqueeze(long dim) => new(Native.ato_unsqueeze(Handle, dim));
    public Tensor Squeeze(long dim) => new(Native.ato_squeeze(Handle, dim));

    /// <summary>Broadcast view to a larger shape (-1 keeps a dimension).</summary>
    public unsafe Tensor Expand(params long[] shape)
    {
        fixed (long* s = shape) return new Tensor(Native.ato_expand(Handle, s, shape.Length));
    }

    /// <summary>A view of indices start..end (exclusive, clamped; negative from the end) along <paramref name="dim"/>.</summary>
    public Tensor Slice(long dim, long start, long end, long step = 1) => new(Native.ato_slice(Handle, dim, start, end, step));

    /// <summary>A view of <paramref name="length"/> indices from <paramref name="start"/> along <paramref name="dim"/>.</summary>
    public Tensor Narrow(long dim, long start, long length) => Slice(dim, start, start + length);

    /// <summary>The view at <paramref name="index"/> of <paramref name="dim"/>, which is removed (t[..., i, ...]).</summary>
    public Tensor Select(long dim, long index) => new(Native.ato_select(Handle, dim, index));

    /// <summary>Lower triangle (torch.tril).</summary>
    public Tensor Tril(long diagonal = 0) => new(Native.ato_tril(Handle, diagonal));

    /// <summary>Concatenates along an existing dimension.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, long dim) => Many(tensors, dim, stack: false);

    /// <summary>Stacks along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, long dim) => Many(tensors, dim, stack: true);

    private static unsafe Tensor Many(IReadOnlyList<Tensor> tensors, long dim, bool stack)
    {
        var hs = Handles(tensors);
        fixed (nint* p = hs)
        {
            var r = stack ? Native.ato_stack(p, hs.Length, dim) : Native.ato_cat(p, hs.Length, dim);
            GC.KeepAlive(tensors);
            return new Tensor(r);
        }
    }

    internal static nint[] Handles(IReadOnlyList<Tensor> tensors)
    {
        var hs = new nint[tensors.Count];
        for (var i = 0; i < hs.Length; i++)
        {
            if (tensors[i].IsDisposed) throw new ObjectDisposedException($"tensor {i}");
            hs[i] = tensors[i].Handle.DangerousGetHandle();
        }
        return hs;
    }

    /// <summary>Copy on another device.</summary>
    public Tensor To(Device device) => new(Native.ato_to(Handle, (int)DType, device.Index));
    /// <summary>Copy converted to another element type.</summary>
    public Tensor To(ScalarType dtype) => new(Native.ato_to(Handle, (int)dtype, Device.Index));
    public Tensor Clone() => new(Native.ato_clone(Handle));
    /// <summary>Same data, cut from the autograd graph.</summary>
    public Tensor Detach() => new(Native.ato_detach(Handle));
    public Tensor Contiguous() => new(Native.ato_contiguous(Handle));
    /// <summary>A second handle to the same tensor (shares data and autograd identity).</summary>
    public Tensor Alias() => new(Native.ato_alias(Handle));

    /// <summary>In place: copies <paramref name="source"/>'s values into this tensor (broadcasting, converting).</summary>
    public Tensor CopyFrom_(Tensor source)
    {
        Native.Check(Native.ato_copy_(Handle, source.Handle));
        return this;
    }

    /// <summary>In place: sets every element to <paramref name="value"/>.</summary>
    public Tensor Fill_(double value)
    {
        Native.Check(Native.ato_fill_(Handle, value));
        return this;
    }
}
