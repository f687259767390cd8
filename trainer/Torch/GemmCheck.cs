using System.Diagnostics;

namespace AgentOps.Trainer.Torch;

/// <summary>What <see cref="GemmCheck.Measure"/> found.</summary>
/// <param name="GFlops">Best 2n^3 / time over the timed repetitions.</param>
/// <param name="Threads">libtorch intra-op threads at the time.</param>
public sealed record GemmReport(int Size, double GFlops, int Threads, Device Device)
{
    /// <summary>Below this, a CPU GEMM is the unthreaded reference BLAS (measured here: OpenBLAS 180-200 GFLOP/s on
    /// 2 idle threads, reference BLAS about 35x slower, ~5; OpenBLAS on the same 2 cores at load average 37 still
    /// gave 8.5-30).</summary>
    public const double ReferenceBlasCeilingGFlops = 8;

    /// <summary>True on the CPU when the speed looks like reference BLAS.</summary>
    public bool LooksLikeReferenceBlas => !Device.IsCuda && GFlops < ReferenceBlasCeilingGFlops;

    /// <summary>One line for the start-up log.</summary>
    public string Describe() =>
        $"GEMM {Size}^3 float32 on {Device}: {GFlops:F1} GFLOP/s, {Threads} threads, libtorch {TorchRuntime.Version}";

    /// <summary>The warning to print when <see cref="LooksLikeReferenceBlas"/>, else null.</summary>
    public string? Warning => LooksLikeReferenceBlas
        ? $"GEMM runs at {GFlops:F1} GFLOP/s (< {ReferenceBlasCeilingGFlops}): libtorch is probably on the reference BLAS " +
          "(~35x slower than OpenBLAS). Install libopenblas0-openmp and check `update-alternatives --display libblas.so.3-x86_64-linux-gnu`."
        : null;
}

/// <summary>The start-up GEMM speed check (DESIGN.md, "Tensor engine": slow BLAS is otherwise silent).</summary>
public static class GemmCheck
{
    /// <summary>Times <paramref name="size"/>^3 float32 matrix products on <paramref name="device"/>, best of
    /// <paramref name="repeats"/> after one warm-up.</summary>
    public static GemmReport Measure(Device device = default, int size = 1024, int repeats = 5)
    {
        using var scope = DisposeScope.Begin();
        using var _ = new NoGradScope();
        var a = Tensor.Randn([size, size], 1, device);
        var b = Tensor.Randn([size, size], 2, device);
        a.MatMul(b).Dispose();
        TorchRuntime.Synchronize(device);
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            a.MatMul(b).Dispose();
            TorchRuntime.Synchronize(device);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return new GemmReport(size, 2.0 * size * size * size / best / 1e9, TorchRuntime.NumThreads, device);
    }
}
