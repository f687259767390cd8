using System.Diagnostics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Engine;

/// <summary>What <see cref="GemmCheck.Measure"/> found.</summary>
/// <param name="GFlops">Best 2n^3 / time over the timed repetitions.</param>
/// <param name="Threads">libtorch intra-op threads at the time.</param>
/// <param name="Blas">The BLAS libtorch multiplies with (MKL's own version string on the CPU).</param>
public sealed record GemmReport(int Size, double GFlops, int Threads, string Device, string Blas)
{
    /// <summary>Below this, a CPU GEMM is an unthreaded reference BLAS (measured here with libtorch 1.13: OpenBLAS
    /// 180-200 GFLOP/s on 2 idle threads, reference BLAS about 35x slower, ~5; OpenBLAS on the same 2 cores at load
    /// average 37 still gave 8.5-30).</summary>
    public const double ReferenceBlasCeilingGFlops = 8;

    /// <summary>True on the CPU when the speed looks like reference BLAS.</summary>
    public bool LooksLikeReferenceBlas => Device == "cpu" && GFlops < ReferenceBlasCeilingGFlops;

    /// <summary>One line for the start-up log.</summary>
    public string Describe() =>
        $"GEMM {Size}^3 float32 on {Device}: {GFlops:F1} GFLOP/s, {Threads} threads, BLAS {Blas}, {TorchRuntime.Describe()}";

    /// <summary>The warning to print when <see cref="LooksLikeReferenceBlas"/>, else null.</summary>
    public string? Warning => LooksLikeReferenceBlas
        ? $"GEMM runs at {GFlops:F1} GFLOP/s (< {ReferenceBlasCeilingGFlops}) with BLAS {Blas}: the cores are either saturated by " +
          "other processes or libtorch is on a slow BLAS; training will be that much slower."
        : null;
}

/// <summary>The start-up GEMM speed check (DESIGN.md, "Tensor engine": a slow BLAS is otherwise silent).</summary>
public static partial class GemmCheck
{
    /// <summary>Times <paramref name="size"/>^3 float32 matrix products on <paramref name="device"/>, best of
    /// <paramref name="repeats"/> after one warm-up.</summary>
    public static GemmReport Measure(Device? device = null, int size = 1024, int repeats = 5)
    {
        TorchRuntime.Initialize();
        device ??= CPU;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var g1 = new Generator(1, CPU);
        using var g2 = new Generator(2, CPU);
        var a = randn([size, size], generator: g1).to(device);
        var b = randn([size, size], generator: g2).to(device);
        a.matmul(b).Dispose();
        Synchronize(device);
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            a.matmul(b).Dispose();
            Synchronize(device);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return new GemmReport(size, 2.0 * size * size * size / best / 1e9, TorchRuntime.NumThreads, device.ToString(), Blas(device));
    }

    /// <summary>Waits for queued kernels on a CUDA device (nothing to wait for on the CPU).</summary>
    public static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
    }

    /// <summary>cuBLAS on a GPU; on the CPU, the version string of the MKL linked into libtorch_cpu.so (libtorch's
    /// Linux builds carry it), or "unknown" when that library exports none.</summary>
    public static unsafe string Blas(Device device)
    {
        if (device.type == DeviceType.CUDA) return "cuBLAS";
        var lib = dlopen("libtorch_cpu.so", RtldLazy | RtldNoLoad);
        if (lib == 0 || !NativeLibrary.TryGetExport(lib, "MKL_Get_Version_String", out var fn)) return "unknown (no MKL in libtorch_cpu.so)";
        var buffer = stackalloc byte[256];
        ((delegate* unmanaged<byte*, int, void>)fn)(buffer, 256);
        return (Marshal.PtrToStringUTF8((nint)buffer) ?? "").Trim();
    }

    private const int RtldLazy = 1, RtldNoLoad = 4;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint dlopen(string file, int flags);
}
