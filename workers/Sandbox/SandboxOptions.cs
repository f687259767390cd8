namespace AgentOps.Workers.Sandbox;

/// <summary>Resource limits of one sandbox (manifest: <c>spec.sandbox.limits</c>).</summary>
/// <param name="MemoryMiB">Address-space limit of the interpreter (RLIMIT_AS), MiB.</param>
/// <param name="Cpus">CPU share; enforced only where cgroups are available (see the runtime's log line).</param>
/// <param name="Pids">Processes/threads the episode may run at once (RLIMIT_NPROC for the sandbox user).</param>
/// <param name="CellTimeoutSeconds">Wall time one cell may run before the interpreter is killed and restarted.</param>
/// <param name="EpisodeTimeoutSeconds">Wall time the whole episode may use, start-up excluded.</param>
/// <param name="OutputBytes">stdout + stderr kept per cell; the cell is stopped past it.</param>
/// <param name="WorkspaceMiB">Size of the writable workspace (tmpfs) and of any one file written.</param>
public sealed record SandboxLimits(
    int MemoryMiB = 256,
    double Cpus = 1,
    int Pids = 64,
    double CellTimeoutSeconds = 5,
    double EpisodeTimeoutSeconds = 60,
    int OutputBytes = 65536,
    int WorkspaceMiB = 64)
{
    public TimeSpan CellTimeout => TimeSpan.FromSeconds(CellTimeoutSeconds);
    public TimeSpan EpisodeTimeout => TimeSpan.FromSeconds(EpisodeTimeoutSeconds);

    /// <summary>Throws with the field name and the value seen when a limit is out of range.</summary>
    public void Validate()
    {
        if (MemoryMiB is < 32 or > 65536) throw new ArgumentException($"sandbox.limits.memoryMiB: must be between 32 and 65536, got {MemoryMiB}");
        if (Cpus is <= 0 or > 64) throw new ArgumentException($"sandbox.limits.cpus: must be in (0, 64], got {Cpus}");
        if (Pids is < 4 or > 4096) throw new ArgumentException($"sandbox.limits.pids: must be between 4 and 4096, got {Pids}");
        if (CellTimeoutSeconds is <= 0 or > 3600) throw new ArgumentException($"sandbox.limits.cellTimeoutSeconds: must be in (0, 3600], got {CellTimeoutSeconds}");
        if (EpisodeTimeoutSeconds < CellTimeoutSeconds) throw new ArgumentException($"sandbox.limits.episodeTimeoutSeconds: must be >= cellTimeoutSeconds ({CellTimeoutSeconds}), got {EpisodeTimeoutSeconds}");
        if (OutputBytes is < 256 or > 64 << 20) throw new ArgumentException($"sandbox.limits.outputBytes: must be between 256 and 67108864, got {OutputBytes}");
        if (WorkspaceMiB is < 1 or > 16384) throw new ArgumentException($"sandbox.limits.workspaceMiB: must be between 1 and 16384, got {WorkspaceMiB}");
    }
}

/// <summary>How sandboxes are made (manifest: <c>spec.sandbox</c>); every knob named, with a default.</summary>
/// <param name="Runtime">"gvisor" (runsc run, minimal read-only root) or "process" (rlimits, weaker).</param>
/// <param name="AllowFallback">With Runtime = gvisor and no usable runsc: use "process" (with a warning)
/// instead of failing.</param>
/// <param name="ToolsDir">Host folder of the environment's Python tool modules, mounted read-only at
/// /opt/agentops/tools and put on PYTHONPATH; null for none.</param>
/// <param name="PythonPath">The interpreter (Debian's python3.11; never a pyenv shim).</param>
/// <param name="RunscPath">runsc binary, absolute or looked up on PATH.</param>
/// <param name="StateDir">Where bundles, runsc state and private workspaces go.</param>
/// <param name="StartTimeoutSeconds">How long an interpreter may take to say it is ready.</param>
public sealed record SandboxOptions(
    string Runtime = "gvisor",
    bool AllowFallback = false,
    SandboxLimits? Limits = null,
    string? ToolsDir = null,
    string PythonPath = "/usr/bin/python3.11",
    string RunscPath = "runsc",
    string? StateDir = null,
    double StartTimeoutSeconds = 30)
{
    public SandboxLimits EffectiveLimits => Limits ?? new SandboxLimits();
    public string EffectiveStateDir => StateDir ?? Path.Combine(Path.GetTempPath(), "agentops-sandbox");
    public TimeSpan StartTimeout => TimeSpan.FromSeconds(StartTimeoutSeconds);

    public void Validate()
    {
        if (Runtime is not ("gvisor" or "process")) throw new ArgumentException($"sandbox.runtime: must be gvisor or process, got '{Runtime}'");
        if (ToolsDir is not null && !Directory.Exists(ToolsDir)) throw new ArgumentException($"sandbox.toolsDir: folder not found, got '{ToolsDir}'");
        if (!File.Exists(PythonPath)) throw new ArgumentException($"sandbox.pythonPath: no interpreter at '{PythonPath}'");
        if (StartTimeoutSeconds <= 0) throw new ArgumentException($"sandbox.startTimeoutSeconds: must be > 0, got {StartTimeoutSeconds}");
        EffectiveLimits.Validate();
    }
}
