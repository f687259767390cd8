using Microsoft.Extensions.Logging;

namespace AgentOps.Trainer.Torch;

/// <summary>
/// What a process using libtorch does once at start (DESIGN.md, "Tensor engine"): threads = processor count,
/// then a GEMM speed check logged as information, and as a warning when BLAS looks like the slow reference one.
/// </summary>
public static partial class TorchStartup
{
    /// <summary>Initialises threads, measures a 1024^3 GEMM on <paramref name="device"/> (about 0.1 s with OpenBLAS
    /// on 2 cores) and logs the result. Returns the report.</summary>
    public static GemmReport Run(ILogger logger, Device device = default)
    {
        TorchRuntime.Initialize();
        var report = GemmCheck.Measure(device);
        Measured(logger, report.Describe(), Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? Native.DefaultOmpWaitPolicy);
        if (report.Warning is { } warning) SlowBlas(logger, warning);
        return report;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "libtorch: {Gemm}, OMP_WAIT_POLICY={WaitPolicy}")]
    private static partial void Measured(ILogger logger, string gemm, string waitPolicy);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "libtorch: {Warning}")]
    private static partial void SlowBlas(ILogger logger, string warning);
}
