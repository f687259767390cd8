using AgentOps.Protos.V1;
using AgentOps.Workers.Environments;
using AgentOps.Workers.Pipeline;

namespace AgentOps.Workers.Executor;

/// <summary>
/// Training mode: hands each trajectory to team wire's <see cref="TrajectoryPusher"/> (bounded buffer, batched
/// client streams, retries with the same ids, backpressure); disposal pushes everything still buffered.
/// </summary>
public sealed class PusherSink(TrajectoryPusher pusher) : ITrajectorySink
{
    public async Task WriteAsync(Trajectory trajectory, EnvTask task, CancellationToken cancellationToken = default) =>
        await pusher.EnqueueAsync(trajectory, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        using var drain = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await pusher.CompleteAsync(drain.Token);
        await pusher.DisposeAsync();
    }
}
