using System.Runtime.InteropServices;

namespace AgentOps.Trainer.Torch;

/// <summary>Process-wide libtorch settings: threads, seeds, CUDA presence.</summary>
public static class TorchRuntime
{
    private static int _initialized;

    /// <summary>Sets libtorch's intra-op threads to <see cref="DefaultThreads"/> once (DESIGN.md, "Tensor engine");
    /// call at start-up. Returns the thread count in effect.</summary>
    public static int Initialize()
    {
        if (Interlocked.Exchange(ref _initialized, 1) == 0) NumThreads = DefaultThreads;
        return NumThreads;
    }

    /// <summary>$AGENTOPS_TORCH_THREADS when set to a positive number, else <see cref="Environment.ProcessorCount"/>.</summary>
    public static int DefaultThreads =>
        int.TryParse(Environment.GetEnvironmentVariable("AGENTOPS_TORCH_THREADS"), out var n) && n > 0 ? n : Environment.ProcessorCount;

    /// <summary>libtorch intra-op thread count (at::set_num_threads).</summary>
    public static int NumThreads
    {
        get => Native.ato_get_num_threads();
        set => Native.Check(Native.ato_set_num_threads(value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "threads must be > 0")));
    }

    /// <summary>Seeds libtorch's global generators (torch.manual_seed).</summary>
    public static void ManualSeed(ulong seed) => Native.Check(Native.ato_manual_seed(seed));

    /// <summary>True when libtorch was built with CUDA and sees a GPU.</summary>
    public static bool CudaIsAvailable => Native.ato_cuda_is_available() != 0;

    /// <summary>Number of CUDA devices libtorch sees.</summary>
    public static int CudaDeviceCount => Native.ato_cuda_device_count();

    /// <summary>Waits for queued kernels on a CUDA device (no-op on the CPU); use before timing.</summary>
    public static void Synchronize(Device device) => Native.Check(Native.ato_cuda_synchronize(device.Index));

    /// <summary>The libtorch version the shim was compiled against.</summary>
    public static string Version => Marshal.PtrToStringUTF8(Native.ato_version()) ?? "";
}
