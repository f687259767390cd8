namespace AgentOps.Trainer.Torch;

// Elementwise math, comparisons and reductions; every result is a new tensor that broadcasts like PyTorch.
public partial class Tensor
{
    private Tensor Bin(Tensor b, int op) => new(Native.ato_binary(Handle, b.Handle, op));
    private Tensor Sc(double s, int op) => new(Native.ato_binary_scalar(Handle, s, op));
    private Tensor Un(int op) => new(Native.ato_unary(Handle, op));

    public static Tensor operator +(Tensor a, Tensor b) => a.Bin(b, 0);
    public static Tensor operator -(Tensor a, Tensor b) => a.Bin(b, 1);
    public static Tensor operator *(Tensor a, Tensor b) => a.Bin(b, 2);
    public static Tensor operator /(Tensor a, Tensor b) => a.Bin(b, 3);
    public static Tensor operator +(Tensor a, double s) => a.Sc(s, 0);
    public static Tensor operator -(Tensor a, double s) => a.Sc(s, 1);
    public static Tensor operator *(Tensor a, double s) => a.Sc(s, 2);
    public static Tensor operator /(Tensor a, double s) => a.Sc(s, 3);
    public static Tensor operator +(double s, Tensor a) => a.Sc(s, 0);
    public static Tensor operator -(double s, Tensor a) => a.Sc(s, 5);
    public static Tensor operator *(double s, Tensor a) => a.Sc(s, 2);
    public static Tensor operator /(double s, Tensor a) => a.Sc(s, 6);
    public static Tensor operator -(Tensor a) => a.Un(0);

    /// <summary>Elementwise power.</summary>
    public Tensor Pow(double exponent) => Sc(exponent, 4);
    /// <summary>Elementwise power with a tensor exponent.</summary>
    public Tensor Pow(Tensor exponent) => Bin(exponent, 4);
    /// <summary>Elementwise minimum of two tensors.</summary>
    public Tensor Minimum(Tensor other) => Bin(other, 5);
    /// <summary>Elementwise maximum of two tensors.</summary>
    public Tensor Maximum(Tensor other) => Bin(other, 6);
    public Tensor Eq(Tensor other) => Bin(other, 7);
    public Tensor Ne(Tensor other) => Bin(other, 8);
    public Tensor Lt(Tensor other) => Bin(other, 9);
    public Tensor Le(Tensor other) => Bin(other, 10);
    public Tensor Gt(Tensor other) => Bin(other, 11);
    public Tensor Ge(Tensor other) => Bin(other, 12);
    public Tensor LogicalAnd(Tensor other) => Bin(other, 13);
    public Tensor LogicalOr(Tensor other) => Bin(other, 14);
    public Tensor Eq(double s) => Sc(s, 7);
    public Tensor Ne(double s) => Sc(s, 8);
    public Tensor Lt(double s) => Sc(s, 9);
    public Tensor Le(double s) => Sc(s, 10);
    public Tensor Gt(double s) => Sc(s, 11);
    public Tensor Ge(double s) => Sc(s, 12);

    public Tensor Neg() => Un(0);
    public Tensor Exp() => Un(1);
    public Tensor Log() => Un(2);
    public Tensor Sqrt() => Un(3);
    public Tensor Rsqrt() => Un(4);
    public Tensor Abs() => Un(5);
    /// <summary>x * sigmoid(x).</summary>
    public Tensor Silu() => Un(6);
    /// <summary>Exact (erf) GELU.</summary>
    public Tensor Gelu() => Un(7);
    public Tensor Relu() => Un(8);
    public Tensor Tanh() => Un(9);
    public Tensor Sigmoid() => Un(10);
    public Tensor Sin() => Un(11);
    public Tensor Cos() => Un(12);
    public Tensor Square() => Un(13);
    public Tensor LogicalNot() => Un(14);
    public Tensor Sign() => Un(15);
    public Tensor Log1p() => Un(16);
    public Tensor Softplus() => Un(17);

    /// <summary>Clamps into [min, max]; a null bound is open.</summary>
    public Tensor Clamp(double? min = null, double? max = null) =>
        new(Native.ato_clamp(Handle, min ?? double.NaN, max ?? double.NaN));

    /// <summary>Elementwise <c>condition ? a : b</c>.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) => new(Native.ato_where(condition.Handle, a.Handle, b.Handle));

    /// <summary>Copy with <paramref name="value"/> where the bool <paramref name="mask"/> is true.</summary>
    public Tensor MaskedFill(Tensor mask, double value) => new(Native.ato_masked_fill(Handle, mask.Handle, value));

    private unsafe Tensor Reduce(int op, long[] dims, bool keepDim)
    {
        fixed (long* d = dims) return new Tensor(Native.ato_reduce(Handle, op, d, dims.Length, keepDim ? 1 : 0));
    }

    /// <summary>Sum of every element (0-d).</summary>
    public Tensor Sum() => Reduce(0, [], false);
    /// <summary>Sum over <paramref name="dim"/>.</summary>
    public Tensor Sum(long dim, bool keepDim = false) => Reduce(0, [dim], keepDim);
    /// <summary>Sum over several dims.</summary>
    public Tensor Sum(long[] dims, bool keepDim = false) => Reduce(0, dims, keepDim);
    /// <summary>Mean of every element (0-d).</summary>
    public Tensor Mean() => Reduce(1, [], false);
    public Tensor Mean(long dim, bool keepDim = false) => Reduce(1, [dim], keepDim);
    public Tensor Mean(long[] dims, bool keepDim = false) => Reduce(1, dims, keepDim);
    /// <summary>Maximum of every element.</summary>
    public Tensor Max() => Reduce(2, [], false);
    /// <summary>Maximum values over <paramref name="dim"/> (torch.amax).</summary>
    public Tensor Max(long dim, bool keepDim = false) => Reduce(2, [dim], keepDim);
    public Tensor Min() => Reduce(3, [], false);
    public Tensor Min(long dim, bool keepDim = false) => Reduce(3, [dim], keepDim);
    /// <summary>Index of the maximum over <paramref name="dim"/> (int64).</summary>
    public Tensor ArgMax(long dim, bool keepDim = false) => new(Native.ato_argmax(Handle, dim, keepDim ? 1 : 0));
    public Tensor Softmax(long dim) => new(Native.ato_softmax(Handle, dim));
    public Tensor LogSoftmax(long dim) => new(Native.ato_log_softmax(Handle, dim));
    public Tensor LogSumExp(long dim, bool keepDim = false) => new(Native.ato_logsumexp(Handle, dim, keepDim ? 1 : 0));
    public Tensor CumSum(long dim) => new(Native.ato_cumsum(Handle, dim));
}
