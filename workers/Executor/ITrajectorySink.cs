using AgentOps.Protos.V1;
using AgentOps.Workers.Environments;

namespace AgentOps.Workers.Executor;

/// <summary>Where finished episodes go: the gateway (training) or a results file (eval).</summary>
public interface ITrajectorySink : IAsyncDisposable
{
    /// <summary>Returns once the trajectory is stored (acknowledged or written); throws when it cannot be.</summary>
    Task WriteAsync(Trajectory trajectory, EnvTask task, CancellationToken cancellationToken = default);
}
