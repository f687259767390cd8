using Microsoft.Extensions.Logging;

namespace AgentOps.Workers.Sandbox;

internal static partial class SandboxLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning,
        Message = "sandbox runtime 'process' is WEAKER isolation than gVisor: {Detail}")]
    public static partial void ProcessRuntimeIsWeaker(ILogger logger, string detail);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "sandbox runtime: {Runtime} ({Reason})")]
    public static partial void RuntimeChosen(ILogger logger, string runtime, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning,
        Message = "sandbox runtime 'gvisor' requested but unusable ({Reason}); falling back to 'process' because sandbox fallback is allowed")]
    public static partial void FallingBack(ILogger logger, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information,
        Message = "sandbox {SandboxId} killed ({Reason}): {Detail}")]
    public static partial void Killed(ILogger logger, string sandboxId, string reason, string detail);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "sandbox pool: warm start failed, retrying in {DelaySeconds} s")]
    public static partial void WarmStartFailed(ILogger logger, Exception exception, double delaySeconds);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information,
        Message = "gVisor limits: memory {MemoryMiB} MiB (RLIMIT_AS), pids {Pids} (RLIMIT_NPROC), workspace tmpfs {WorkspaceMiB} MiB; cgroups are not configured (--ignore-cgroups), so cpus={Cpus} is not enforced")]
    public static partial void GvisorLimits(ILogger logger, int memoryMiB, int pids, int workspaceMiB, double cpus);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Debug, Message = "sandbox {SandboxId} retired after {Episodes} episode(s): {Reason}")]
    public static partial void Retired(ILogger logger, string sandboxId, int episodes, string reason);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Debug, Message = "sandbox {SandboxId} recycled by {Kind} reset: {Reason}")]
    public static partial void Recycled(ILogger logger, string sandboxId, string kind, string reason);
}
