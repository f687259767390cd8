using Grpc.Core;

namespace AgentOps.Workers.Pipeline;

/// <summary>
/// The gateway refused the pusher for good (wrong token, wrong run): retrying cannot help, so the pusher stops
/// and every later EnqueueAsync / FlushAsync throws this, naming the status and how many trajectories wait.
/// </summary>
public sealed class PushRejectedException(Status status, long waiting)
    : Exception($"the gateway refused the push with {status.StatusCode}: {status.Detail}; {waiting} trajectories are not stored")
{
    public Status Status { get; } = status;
    public long Waiting { get; } = waiting;
}
