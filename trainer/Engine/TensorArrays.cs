using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Engine;

/// <summary>Copies of a tensor's values in managed arrays, from any device and dtype. Through the raw bytes: TorchSharp's
/// data&lt;T&gt;().ToArray() reads element by element (313 us for the [32, 259] logits of a decode step, measured).</summary>
public static class TensorArrays
{
    /// <summary>The values as float32, row-major.</summary>
    public static float[] ToFloats(this Tensor t) => Copy<float>(t, ScalarType.Float32);

    /// <summary>The values as float64, row-major.</summary>
    public static double[] ToDoubles(this Tensor t) => Copy<double>(t, ScalarType.Float64);

    /// <summary>The values as int64, row-major.</summary>
    public static long[] ToLongs(this Tensor t) => Copy<long>(t, ScalarType.Int64);

    private static T[] Copy<T>(Tensor t, ScalarType dtype) where T : unmanaged
    {
        using var scope = NewDisposeScope();
        // detach() first: a new handle, so what to() and contiguous() may hand back as-is is still ours to dispose.
        return MemoryMarshal.Cast<byte, T>(t.detach().to(dtype).cpu().contiguous().bytes).ToArray();
    }
}
