using Microsoft.Extensions.Logging;
using TorchSharp;

namespace AgentOps.Trainer.Engine;

/// <summary>
/// What a process using libtorch does once at start (DESIGN.md, "Tensor engine"): load TorchSharp (a clear error
/// when it cannot), threads = processor count, then a GEMM speed check logged as information with the BLAS in use,
/// and as a warning when it looks like a slow BLAS.
/// </summary>
public static partial class TorchStartup
{
    /// <summary>Initialises libtorch, measures a 1024^3 GEMM on <paramref name="device"/> (about 0.1 s on 2 cores) and
    /// logs the result. Returns the report.</summary>
    public static GemmReport Run(ILogger logger, torch.Device? device = null)
    {
        TorchRuntime.Initialize();
        var report = GemmCheck.Measure(device);
        Measured(logger, report.Describe(), Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? TorchRuntime.DefaultOmpWaitPolicy);
        if (report.Warning is { } warning) SlowBlas(logger, warning);
        return report;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "libtorch: {Gemm}, OMP_WAIT_POLICY={WaitPolicy}")]
    private static partial void Measured(ILogger logger, string gemm, string waitPolicy);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "libtorch: {Warning}")]
    private static partial void SlowBlas(ILogger logger, string warning);
}
