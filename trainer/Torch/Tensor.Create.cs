namespace AgentOps.Trainer.Torch;

// Factories: data is copied into libtorch-owned memory, so the managed arrays can be reused at once.
public partial class Tensor
{
    private static unsafe Tensor FromBlob<T>(ReadOnlySpan<T> data, ScalarType dtype, long[] shape, Device device, bool requiresGrad)
        where T : unmanaged
    {
        var n = 1L;
        foreach (var d in shape) n *= d;
        if (n != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {n} elements, data has {data.Length}", nameof(shape));
        fixed (T* p = data)
        fixed (long* s = shape)
            return new Tensor(Native.ato_from_blob(p, (int)dtype, s, shape.Length, device.Index, requiresGrad ? 1 : 0));
    }

    /// <summary>A float32 tensor holding <paramref name="data"/> with the given shape (default: 1-D).</summary>
    public static Tensor From(ReadOnlySpan<float> data, long[]? shape = null, Device device = default, bool requiresGrad = false) =>
        FromBlob(data, ScalarType.Float32, shape ?? [data.Length], device, requiresGrad);

    /// <summary>A float64 tensor (gradient checks) holding <paramref name="data"/>.</summary>
    public static Tensor From(ReadOnlySpan<double> data, long[]? shape = null, Device device = default, bool requiresGrad = false) =>
        FromBlob(data, ScalarType.Float64, shape ?? [data.Length], device, requiresGrad);

    /// <summary>An int64 tensor (token ids, indices) holding <paramref name="data"/>.</summary>
    public static Tensor From(ReadOnlySpan<long> data, long[]? shape = null, Device device = default) =>
        FromBlob(data, ScalarType.Int64, shape ?? [data.Length], device, false);

    /// <summary>An int64 tensor from int32 values (converted: libtorch indexes with int64).</summary>
    public static Tensor From(ReadOnlySpan<int> data, long[]? shape = null, Device device = default)
    {
        var wide = new long[data.Length];
        for (var i = 0; i < data.Length; i++) wide[i] = data[i];
        return FromBlob<long>(wide, ScalarType.Int64, shape ?? [data.Length], device, false);
    }

    /// <summary>A bool tensor (masks) holding <paramref name="data"/>.</summary>
    public static Tensor From(ReadOnlySpan<bool> data, long[]? shape = null, Device device = default)
    {
        var bytes = new byte[data.Length];
        for (var i = 0; i < data.Length; i++) bytes[i] = data[i] ? (byte)1 : (byte)0;
        return FromBlob<byte>(bytes, ScalarType.Bool, shape ?? [data.Length], device, false);
    }

    /// <summary>A tensor of <paramref name="dtype"/> from raw little-endian bytes (checkpoint loading).</summary>
    public static unsafe Tensor FromBytes(ReadOnlySpan<byte> data, ScalarType dtype, long[] shape, Device device = default)
    {
        var n = 1L;
        foreach (var d in shape) n *= d;
        if (n * dtype.ElementSize() != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] of {dtype} needs {n * dtype.ElementSize()} bytes, got {data.Length}", nameof(data));
        fixed (byte* p = data)
        fixed (long* s = shape)
            return new Tensor(Native.ato_from_blob(p, (int)dtype, s, shape.Length, device.Index, 0));
    }

    /// <summary>A scalar (0-d) float32 tensor.</summary>
    public static unsafe Tensor Scalar(float value, Device device = default)
    {
        fixed (long* s = Array.Empty<long>())
            return new Tensor(Native.ato_from_blob(&value, (int)ScalarType.Float32, s, 0, device.Index, 0));
    }

    /// <summary>Zeros of the given shape.</summary>
    public static unsafe Tensor Zeros(long[] shape, ScalarType dtype = ScalarType.Float32, Device device = default)
    {
        fixed (long* s = shape) return new Tensor(Native.ato_zeros(s, shape.Length, (int)dtype, device.Index));
    }

    /// <summary>Ones of the given shape.</summary>
    public static Tensor Ones(long[] shape, ScalarType dtype = ScalarType.Float32, Device device = default) =>
        Full(shape, 1.0, dtype, device);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static unsafe Tensor Full(long[] shape, double value, ScalarType dtype = ScalarType.Float32, Device device = default)
    {
        fixed (long* s = shape) return new Tensor(Native.ato_full(s, shape.Length, value, (int)dtype, device.Index));
    }

    /// <summary>Standard normal float32 values from a CPU generator seeded with <paramref name="seed"/> (the same values on every device).</summary>
    public static unsafe Tensor Randn(long[] shape, ulong seed, Device device = default)
    {
        fixed (long* s = shape) return new Tensor(Native.ato_randn(s, shape.Length, seed, device.Index));
    }

    /// <summary>Uniform [0, 1) float32 values from a generator seeded with <paramref name="seed"/>.</summary>
    public static unsafe Tensor Rand(long[] shape, ulong seed, Device device = default)
    {
        fixed (long* s = shape) return new Tensor(Native.ato_rand(s, shape.Length, seed, device.Index));
    }

    /// <summary>start, start+step, ... below end.</summary>
    public static Tensor Arange(double start, double end, double step = 1, ScalarType dtype = ScalarType.Int64, Device device = default) =>
        new(Native.ato_arange(start, end, step, (int)dtype, device.Index));


    /// <summary>Copies the values out as float32 (converting, and from the GPU if needed).</summary>
    public unsafe float[] ToFloatArray()
    {
        var n = Numel;
        var a = new float[n];
        fixed (float* p = a) Native.Check(Native.ato_copy_out(Handle, p, n, (int)ScalarType.Float32));
        return a;
    }

    /// <summary>Copies the values out as float64.</summary>
    public unsafe double[] ToDoubleArray()
    {
        var n = Numel;
        var a = new double[n];
        fixed (double* p = a) Native.Check(Native.ato_copy_out(Handle, p, n, (int)ScalarType.Float64));
        return a;
    }

    /// <summary>Copies the values out as int64.</summary>
    public unsafe long[] ToLongArray()
    {
        var n = Numel;
        var a = new long[n];
        fixed (long* p = a) Native.Check(Native.ato_copy_out(Handle, p, n, (int)ScalarType.Int64));
        return a;
    }

    /// <summary>Copies the values out as bool.</summary>
    public unsafe bool[] ToBoolArray()
    {
        var n = Numel;
        var a = new byte[n];
        fixed (byte* p = a) Native.Check(Native.ato_copy_out(Handle, p, n, (int)ScalarType.Bool));
        return Array.ConvertAll(a, b => b != 0);
    }

    /// <summary>The raw little-endian bytes in this tensor's own dtype (checkpoint saving).</summary>
    public unsafe byte[] ToBytes()
    {
        var n = Numel;
        var a = new byte[n * DType.ElementSize()];
        fixed (byte* p = a) Native.Check(Native.ato_copy_out(Handle, p, n, (int)DType));
        return a;
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public float ItemFloat() => Numel == 1 ? ToFloatArray()[0] : throw new InvalidOperationException($"ItemFloat needs one element, tensor has {Numel}");

    /// <summary>The single value of a one-element tensor, as int64.</summary>
    public long ItemLong() => Numel == 1 ? ToLongArray()[0] : throw new InvalidOperationException($"ItemLong needs one element, tensor has {Numel}");
}
