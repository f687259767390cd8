using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace AgentOps.Trainer.Engine;

/// <summary>
/// Process-wide libtorch settings (DESIGN.md, "Tensor engine"): the OpenMP wait policy before libtorch loads, the
/// load itself with a diagnosis when it fails, and the intra-op thread count. Everything that uses TorchSharp calls
/// <see cref="Initialize"/> first (the trainer, the bench; tests through their module initializer).
/// </summary>
public static partial class TorchRuntime
{
    /// <summary>OpenMP wait policy given to libtorch's libgomp when the environment sets none.</summary>
    public const string DefaultOmpWaitPolicy = "PASSIVE";

    private static readonly Lazy<int> Threads = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Sets the environment libtorch reads when it loads. Call before anything touches TorchSharp; later
    /// calls do nothing (libgomp reads it once).</summary>
    public static void PrepareEnvironment()
    {
        // libgomp's default (spin before sleeping) collapses when the cores are shared with executors or builds:
        // measured with libtorch 1.13 at load average 39 on 2 cores, small preset: rmsnorm 153 ms -> 2.8 ms, a training
        // step 60 s -> 12.6 s with PASSIVE. .NET's Environment.SetEnvironmentVariable does not reach native getenv on
        // Linux, so call setenv(3).
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") == null) _ = setenv("OMP_WAIT_POLICY", DefaultOmpWaitPolicy, 0);
    }

    /// <summary>Loads libtorch once (throws <see cref="TorchLoadException"/> naming why it could not) and sets its
    /// intra-op threads to <see cref="DefaultThreads"/>. Returns the thread count in effect.</summary>
    public static int Initialize() => Threads.Value;

    private static int Load()
    {
        PrepareEnvironment();
        try
        {
            torch.set_num_threads(DefaultThreads);
        }
        catch (TypeInitializationException e)
        {
            throw new TorchLoadException(TorchLoadException.Diagnose(e));
        }
        return torch.get_num_threads();
    }

    /// <summary>$AGENTOPS_TORCH_THREADS when set to a positive number, else <see cref="Environment.ProcessorCount"/>.</summary>
    public static int DefaultThreads =>
        int.TryParse(Environment.GetEnvironmentVariable("AGENTOPS_TORCH_THREADS"), out var n) && n > 0 ? n : Environment.ProcessorCount;

    /// <summary>libtorch's intra-op thread count (at::get_num_threads).</summary>
    public static int NumThreads => torch.get_num_threads();

    /// <summary>"TorchSharp 0.107.0, libtorch 2.10.0 (cpu)": what this process computes with.</summary>
    public static string Describe() =>
        $"TorchSharp {typeof(torch).Assembly.GetName().Version?.ToString(3)}, libtorch {LibtorchVersion}, {Variant} build";

    /// <summary>libtorch's version, "2.10.0" (TorchSharp reports it with a fourth part).</summary>
    public static string LibtorchVersion => Version.TryParse(torch.__version__, out var v) ? v.ToString(3) : torch.__version__;

    /// <summary>The libtorch package this build references: "cpu" or "cuda" (AgentOps.Trainer.csproj, TorchVariant).</summary>
    public static string Variant =>
        typeof(TorchRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "TorchVariant")?.Value ?? "cpu";

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
