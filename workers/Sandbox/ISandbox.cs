namespace AgentOps.Workers.Sandbox;

/// <summary>
/// One persistent Python interpreter for one episode: variables survive between cells, as in a notebook.
/// Implementations: gVisor (`runsc run` with a minimal read-only root) and a weaker `process` fallback.
/// </summary>
public interface ISandbox : IAsyncDisposable
{
    /// <summary>"gvisor" or "process".</summary>
    string Runtime { get; }

    /// <summary>
    /// Runs one cell. Never throws for anything the code does (errors, timeouts, kills, floods of output
    /// all come back in the result); throws <see cref="SandboxUnavailableException"/> only when the sandbox
    /// itself is broken, which the agent loop reports as an infrastructure failure.
    /// </summary>
    Task<CellResult> ExecuteAsync(string code, CancellationToken cancellationToken = default);
}

/// <param name="Stdout">What the cell printed (capped; see <see cref="OutputTruncated"/>).</param>
/// <param name="Stderr">What the cell wrote to stderr (capped).</param>
/// <param name="Error">A one-line error for the agent, e.g. "ZeroDivisionError: division by zero" or
/// "cell exceeded the 5 s time limit"; null when the cell succeeded.</param>
/// <param name="Duration">Wall time of the cell.</param>
/// <param name="TimedOut">The cell was stopped at its time limit.</param>
/// <param name="OutputTruncated">Output was over the cap and was cut.</param>
/// <param name="Restarted">The interpreter had to be restarted (state lost) after this cell.</param>
/// <param name="Traceback">The cell's own frames (at most 5) and the exception, when it failed; null otherwise.</param>
public sealed record CellResult(
    string Stdout,
    string Stderr,
    string? Error,
    TimeSpan Duration,
    bool TimedOut = false,
    bool OutputTruncated = false,
    bool Restarted = false,
    string? Traceback = null)
{
    public bool Ok => Error is null;
}

/// <summary>The sandbox itself failed (could not start, crashed beyond recovery): not the agent's fault.</summary>
public sealed class SandboxUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
