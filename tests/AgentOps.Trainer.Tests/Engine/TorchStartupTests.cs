using AgentOps.Trainer.Engine;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Tests.Engine;

public class TorchStartupTests
{
    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }

    [Fact]
    public void Startup_logs_gemm_speed_threads_the_blas_and_the_wait_policy()
    {
        var log = new ListLogger();
        var report = TorchStartup.Run(log);
        Assert.Equal(TorchRuntime.DefaultThreads, TorchRuntime.NumThreads);
        var info = Assert.Single(log.Entries, e => e.Level == LogLevel.Information);
        Assert.Contains($"{report.GFlops:F1} GFLOP/s", info.Message);
        Assert.Contains($"{TorchRuntime.DefaultThreads} threads", info.Message);
        Assert.Contains($"BLAS {report.Blas}", info.Message);
        Assert.Contains("libtorch 2.10", info.Message);
        Assert.Contains("OMP_WAIT_POLICY=PASSIVE", info.Message);
        // A warning appears exactly when the measured speed is below the reference-BLAS ceiling.
        Assert.Equal(report.LooksLikeReferenceBlas, log.Entries.Any(e => e.Level == LogLevel.Warning));
    }

    [Fact]
    public void Cuda_without_a_usable_gpu_is_refused_with_the_reason()
    {
        Assert.Equal(CPU.ToString(), TorchDevices.Resolve("cpu").ToString());
        if (TorchDevices.CudaUsable())
        {
            Assert.Equal("cuda:0", TorchDevices.Resolve("cuda").ToString());
        }
        else
        {
            Assert.Equal(CPU.ToString(), TorchDevices.Resolve("auto").ToString());
            var e = Assert.Throws<ArgumentException>(() => TorchDevices.Resolve("cuda"));
            Assert.Contains("spec.trainer.device: \"cuda\", but no GPU is usable", e.Message);
            // The CPU build says which image has CUDA; the CUDA build says what the pod lacks.
            Assert.Contains(TorchRuntime.Variant == "cpu" ? "TORCH_VARIANT=cuda" : "nvidia.com/gpu", e.Message);
        }
        var bad = Assert.Throws<ArgumentException>(() => TorchDevices.Resolve("tpu"));
        Assert.Equal("spec.trainer.device: must be cpu or cuda, got \"tpu\"", bad.Message);
    }
}
