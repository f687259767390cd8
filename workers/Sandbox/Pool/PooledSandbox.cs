namespace AgentOps.Workers.Sandbox.Pool;

/// <summary>One episode's lease on a pooled sandbox: disposing it hands the sandbox back to the pool,
/// which recycles it (fresh interpreter, same container) or kills it. Idempotent.</summary>
internal sealed class PooledSandbox(PythonSandbox inner, SandboxPool pool) : ISandbox
{
    private int _returned;

    public PythonSandbox Inner => inner;

    public string Runtime => inner.Runtime;

    public Task<CellResult> ExecuteAsync(string code, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _returned) == 1, this);
        return inner.ExecuteAsync(code, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _returned, 1) == 0) pool.Return(inner);
        return ValueTask.CompletedTask;
    }
}
