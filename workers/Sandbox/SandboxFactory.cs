using AgentOps.Workers.Sandbox.Gvisor;
using AgentOps.Workers.Sandbox.Processes;
using Microsoft.Extensions.Logging;

namespace AgentOps.Workers.Sandbox;

/// <summary>Picks the runtime once (from <c>spec.sandbox.runtime</c>), says which and why, and makes
/// started sandboxes with it.</summary>
public sealed class SandboxFactory
{
    private readonly ISandboxRuntime _runtime;
    private readonly SandboxLimits _limits;
    private readonly SandboxMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    private SandboxFactory(ISandboxRuntime runtime, SandboxLimits limits, SandboxMetrics metrics, TimeProvider time, ILogger logger)
    {
        _runtime = runtime;
        _limits = limits;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>"gvisor" or "process": the runtime actually in use (after any fallback).</summary>
    public string Runtime => _runtime.Name;

    public SandboxMetrics Metrics => _metrics;

    /// <exception cref="ArgumentException">An option is invalid (the message names it and the value).</exception>
    /// <exception cref="SandboxUnavailableException">gvisor was asked for, runsc is unusable and fallback is off.</exception>
    public static SandboxFactory Create(SandboxOptions options, ILoggerFactory loggerFactory, SandboxMetrics metrics, TimeProvider? time = null)
    {
        options.Validate();
        var logger = loggerFactory.CreateLogger("AgentOps.Sandbox");
        time ??= TimeProvider.System;
        ISandboxRuntime runtime;
        if (options.Runtime == "gvisor")
        {
            var problem = GvisorRuntime.Probe(options);
            if (problem is null)
            {
                runtime = new GvisorRuntime(options, logger, time);
                SandboxLog.RuntimeChosen(logger, "gvisor", $"sandbox.runtime=gvisor, runsc at {GvisorRuntime.ResolveRunsc(options.RunscPath)}");
            }
            else if (options.AllowFallback)
            {
                SandboxLog.FallingBack(logger, problem);
                runtime = new ProcessRuntime(options, logger, time);
                SandboxLog.RuntimeChosen(logger, "process", $"fallback from gvisor: {problem}");
            }
            else
            {
                throw new SandboxUnavailableException(
                    $"sandbox.runtime: gvisor is unusable here ({problem}); install runsc, set sandbox.runtime=process, or allow the fallback");
            }
        }
        else
        {
            runtime = new ProcessRuntime(options, logger, time);
            SandboxLog.RuntimeChosen(logger, "process", "sandbox.runtime=process");
        }
        return new SandboxFactory(runtime, options.EffectiveLimits, metrics, time, logger);
    }

    /// <summary>A sandbox whose interpreter is already running.</summary>
    public async Task<PythonSandbox> StartAsync(CancellationToken cancellationToken = default)
    {
        var sandbox = new PythonSandbox(_runtime, _limits, _metrics, _time, _logger);
        try
        {
            await sandbox.StartAsync(cancellationToken).ConfigureAwait(false);
            return sandbox;
        }
        catch
        {
            await sandbox.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
