using AgentOps.Workers.Sandbox.Repl;

namespace AgentOps.Workers.Sandbox;

/// <summary>How an interpreter is started and killed: gVisor (<c>runsc run</c>) or a plain process with
/// rlimits. <see cref="PythonSandbox"/> does the rest (cells, timeouts, restarts) the same way for both.</summary>
internal interface ISandboxRuntime
{
    /// <summary>"gvisor" or "process".</summary>
    string Name { get; }

    /// <summary>Starts one driver, ready for cells. Killing it (or disposing it) frees everything it used.</summary>
    Task<InterpreterProcess> StartAsync(string sandboxId, CancellationToken cancellationToken);
}
