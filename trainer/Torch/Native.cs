using System.Reflection;
using System.Runtime.InteropServices;

namespace AgentOps.Trainer.Torch;

/// <summary>
/// P/Invoke surface of <c>libagentops_torch.so</c> (trainer/native/agentops_torch.cpp). Every function that can
/// fail returns null / -1 and leaves libtorch's message in <see cref="ato_last_error"/>; <see cref="Check(nint)"/>
/// turns that into a <see cref="TorchException"/>. Nothing here is public: use <see cref="Tensor"/>.
/// </summary>
internal static unsafe partial class Native
{
    internal const string Lib = "agentops_torch";

    /// <summary>Environment variable naming the shim's full path (overrides every other location).</summary>
    public const string LibraryEnvVar = "AGENTOPS_TORCH_LIB";

    /// <summary>OpenMP wait policy given to libgomp when the environment sets none.</summary>
    public const string DefaultOmpWaitPolicy = "PASSIVE";

    static Native()
    {
        // libgomp reads OMP_WAIT_POLICY once, when libtorch loads. Its default (spin before sleeping) collapses when
        // the cores are shared with executors or builds: measured here at load average 39 on 2 cores, 2 threads,
        // small preset: rmsnorm 153 ms -> 2.8 ms, a training step 60 s -> 12.6 s with PASSIVE. .NET's
        // Environment.SetEnvironmentVariable does not reach native getenv on Linux, so call setenv(3).
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") == null) setenv("OMP_WAIT_POLICY", DefaultOmpWaitPolicy, 0);
        NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);
        // Threads = processor count from the first use on (DESIGN.md, "Tensor engine"), on every thread: the shim
        // re-applies the setting on each thread's first call.
        Check(ato_set_num_threads(TorchRuntime.DefaultThreads));
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    // Where the shim may be: $AGENTOPS_TORCH_LIB, next to agentops-trainer.dll (copied by the csproj), the app's
    // base directory, or trainer/native/build/ of a source checkout above the app (tests run from bin/).
    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib) return 0;
        foreach (var candidate in Candidates())
        {
            if (File.Exists(candidate)) return NativeLibrary.Load(candidate);
        }
        throw new DllNotFoundException(
            $"libagentops_torch.so not found; looked at: {string.Join(", ", Candidates())}. Build it with `make native` " +
            $"or set {LibraryEnvVar} to its path.");
    }

    internal static IEnumerable<string> Candidates()
    {
        var env = Environment.GetEnvironmentVariable(LibraryEnvVar);
        if (!string.IsNullOrEmpty(env)) yield return env;
        const string file = "libagentops_torch.so";
        var asmDir = Path.GetDirectoryName(typeof(Native).Assembly.Location);
        if (!string.IsNullOrEmpty(asmDir)) yield return Path.Combine(asmDir, file);
        yield return Path.Combine(AppContext.BaseDirectory, file);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var probe = Path.Combine(dir.FullName, "trainer", "native", "build", file);
            if (File.Exists(probe)) { yield return probe; yield break; }
        }
    }

    internal static string LastError()
    {
        var p = ato_last_error();
        return p == 0 ? "" : Marshal.PtrToStringUTF8(p) ?? "";
    }

    internal static nint Check(nint handle)
    {
        if (handle == 0) throw new TorchException(LastError());
        return handle;
    }

    internal static void Check(int rc)
    {
        if (rc != 0) throw new TorchException(LastError());
    }

    [LibraryImport(Lib)] internal static partial nint ato_last_error();
    [LibraryImport(Lib)] internal static partial void ato_free(nint t);
    [LibraryImport(Lib)] internal static partial nint ato_version();

    [LibraryImport(Lib)] internal static partial int ato_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int ato_get_num_threads();
    [LibraryImport(Lib)] internal static partial int ato_manual_seed(ulong seed);
    [LibraryImport(Lib)] internal static partial int ato_cuda_is_available();
    [LibraryImport(Lib)] internal static partial int ato_cuda_device_count();
    [LibraryImport(Lib)] internal static partial int ato_cuda_synchronize(int device);
    [LibraryImport(Lib)] internal static partial int ato_set_grad_enabled(int enabled);
    [LibraryImport(Lib)] internal static partial int ato_is_grad_enabled();

    [LibraryImport(Lib)] internal static partial nint ato_from_blob(void* data, int dtype, long* shape, int ndim, int device, int requiresGrad);
    [LibraryImport(Lib)] internal static partial nint ato_zeros(long* shape, int ndim, int dtype, int device);
    [LibraryImport(Lib)] internal static partial nint ato_full(long* shape, int ndim, double value, int dtype, int device);
    [LibraryImport(Lib)] internal static partial nint ato_randn(long* shape, int ndim, ulong seed, int device);
    [LibraryImport(Lib)] internal static partial nint ato_rand(long* shape, int ndim, ulong seed, int device);
    [LibraryImport(Lib)] internal static partial nint ato_arange(double start, double end, double step, int dtype, int device);

    [LibraryImport(Lib)] internal static partial int ato_ndim(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int ato_shape(TensorHandle t, long* shape);
    [LibraryImport(Lib)] internal static partial long ato_numel(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int ato_dtype(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int ato_device(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int ato_requires_grad(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int ato_set_requires_grad(TensorHandle t, int on);
    [LibraryImport(Lib)] internal static partial int ato_copy_out(TensorHandle t, void* dst, long n, int dtype);
    [LibraryImport(Lib)] internal static partial nint ato_to(TensorHandle t, int dtype, int device);
    [LibraryImport(Lib)] internal static partial nint ato_clone(TensorHandle t);
    [LibraryImport(Lib)] internal static partial nint ato_detach(TensorHandle t);
    [LibraryImport(Lib)] internal static partial nint ato_contiguous(TensorHandle t);
    [LibraryImport(Lib)] internal static partial nint ato_alias(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int ato_copy_(TensorHandle dst, TensorHandle src);
    [LibraryImport(Lib)] internal static partial int ato_fill_(TensorHandle t, double v);

    [LibraryImport(Lib)] internal static partial nint ato_binary(TensorHandle a, TensorHandle b, int op);
    [LibraryImport(Lib)] internal static partial nint ato_binary_scalar(TensorHandle a, double s, int op);
    [LibraryImport(Lib)] internal static partial nint ato_unary(TensorHandle a, int op);
    [LibraryImport(Lib)] internal static partial nint ato_clamp(TensorHandle a, double lo, double hi);
    [LibraryImport(Lib)] internal static partial nint ato_where(TensorHandle cond, TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial nint ato_masked_fill(TensorHandle a, TensorHandle mask, double v);

    [LibraryImport(Lib)] internal static partial nint ato_reduce(TensorHandle a, int op, long* dims, int ndim, int keepdim);
    [LibraryImport(Lib)] internal static partial nint ato_argmax(TensorHandle a, long dim, int keepdim);
    [LibraryImport(Lib)] internal static partial nint ato_softmax(TensorHandle a, long dim);
    [LibraryImport(Lib)] internal static partial nint ato_log_softmax(TensorHandle a, long dim);
    [LibraryImport(Lib)] internal static partial nint ato_logsumexp(TensorHandle a, long dim, int keepdim);
    [LibraryImport(Lib)] internal static partial nint ato_cumsum(TensorHandle a, long dim);

    [LibraryImport(Lib)] internal static partial nint ato_matmul(TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial nint ato_linear(TensorHandle x, TensorHandle w, nint b);
    [LibraryImport(Lib)] internal static partial nint ato_embedding(TensorHandle weight, TensorHandle ids);
    [LibraryImport(Lib)] internal static partial nint ato_gather(TensorHandle a, long dim, TensorHandle index);
    [LibraryImport(Lib)] internal static partial nint ato_index_select(TensorHandle a, long dim, TensorHandle index);
    [LibraryImport(Lib)] internal static partial nint ato_reshape(TensorHandle a, long* shape, int ndim);
    [LibraryImport(Lib)] internal static partial nint ato_view(TensorHandle a, long* shape, int ndim);
    [LibraryImport(Lib)] internal static partial nint ato_transpose(TensorHandle a, long d0, long d1);
    [LibraryImport(Lib)] internal static partial nint ato_permute(TensorHandle a, long* order, int ndim);
    [LibraryImport(Lib)] internal static partial nint ato_unsqueeze(TensorHandle a, long dim);
    [LibraryImport(Lib)] internal static partial nint ato_squeeze(TensorHandle a, long dim);
    [LibraryImport(Lib)] internal static partial nint ato_expand(TensorHandle a, long* shape, int ndim);
    [LibraryImport(Lib)] internal static partial nint ato_slice(TensorHandle a, long dim, long start, long end, long step);
    [LibraryImport(Lib)] internal static partial nint ato_cat(nint* tensors, int n, long dim);
    [LibraryImport(Lib)] internal static partial nint ato_stack(nint* tensors, int n, long dim);
    [LibraryImport(Lib)] internal static partial nint ato_select(TensorHandle a, long dim, long index);
    [LibraryImport(Lib)] internal static partial nint ato_tril(TensorHandle a, long diagonal);

    [LibraryImport(Lib)] internal static partial nint ato_rms_norm(TensorHandle x, TensorHandle weight, double eps);
    [LibraryImport(Lib)] internal static partial nint ato_rotary(TensorHandle x, TensorHandle cos, TensorHandle sin);
    [LibraryImport(Lib)] internal static partial nint ato_swiglu(TensorHandle gateUp);
    [LibraryImport(Lib)] internal static partial int ato_qkv_rotary(TensorHandle qkv, long heads, TensorHandle cos, TensorHandle sin, nint* out3);
    [LibraryImport(Lib)] internal static partial nint ato_attention(TensorHandle q, TensorHandle k, TensorHandle v, int causal, nint keyValid);
    [LibraryImport(Lib)] internal static partial nint ato_token_logprobs(TensorHandle logits, TensorHandle targets);

    [LibraryImport(Lib)] internal static partial int ato_backward(TensorHandle t, nint grad);
    [LibraryImport(Lib)] internal static partial nint ato_grad(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int ato_zero_grad(nint* tensors, int n);
    [LibraryImport(Lib)] internal static partial int ato_clip_grad_norm(nint* tensors, int n, double maxNorm, out double norm);
    [LibraryImport(Lib)] internal static partial int ato_adamw_step(nint* ps, nint* ms, nint* vs, double* wd, int n,
        double lr, double beta1, double beta2, double eps, long step);
}
