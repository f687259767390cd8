using AgentOps.Trainer.Torch;
using Microsoft.Extensions.Logging;

namespace AgentOps.Trainer.Tests.Torch;

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
    public void Startup_logs_gemm_speed_threads_and_the_wait_policy()
    {
        var log = new ListLogger();
        var report = TorchStartup.Run(log);
        Assert.Equal(Environment.ProcessorCount, TorchRuntime.NumThreads);
        var info = Assert.Single(log.Entries, e => e.Level == LogLevel.Information);
        Assert.Contains($"{report.GFlops:F1} GFLOP/s", info.Message);
        Assert.Contains($"{Environment.ProcessorCount} threads", info.Message);
        Assert.Contains("OMP_WAIT_POLICY=", info.Message);
        // A warning appears exactly when the measured speed is below the reference-BLAS ceiling.
        Assert.Equal(report.LooksLikeReferenceBlas, log.Entries.Any(e => e.Level == LogLevel.Warning));
    }
}
