using AgentOps.Protos.Grpc;
using AgentOps.Protos.V1;
using AgentOps.Workers.Environments;

namespace AgentOps.Workers.Executor;

/// <summary>
/// Pushes each trajectory through `TrajectoryIngest.Push` and waits for the ack. Transient errors
/// (UNAVAILABLE, RESOURCE_EXHAUSTED = the gateway's backpressure, DEADLINE_EXCEEDED, INTERNAL) are retried
/// with exponential backoff and the same trajectory id, so a retry after a lost ack is stored once.
/// Anything else, or the last retry, throws: nothing is dropped silently.
/// </summary>
public sealed class GatewaySink(TrajectoryIngest.TrajectoryIngestClient client, string? token, ExecutorMetrics metrics, TimeProvider time,
    int maxAttempts = 8, TimeSpan? callTimeout = null) : ITrajectorySink
{
    private readonly TimeSpan _callTimeout = callTimeout ?? TimeSpan.FromSeconds(30);

    public async Task WriteAsync(Trajectory trajectory, EnvTask task, CancellationToken cancellationToken = default)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var headers = new Metadata();
                if (!string.IsNullOrEmpty(token)) headers.Add("authorization", "Bearer " + token);
                using var call = client.Push(headers, time.GetUtcNow().UtcDateTime + _callTimeout, cancellationToken);
                await call.RequestStream.WriteAsync(trajectory);
                await call.RequestStream.CompleteAsync();
                await call.ResponseAsync;
                return;
            }
            catch (RpcException e) when (attempt < maxAttempts && !cancellationToken.IsCancellationRequested && e.StatusCode is
                StatusCode.Unavailable or StatusCode.ResourceExhausted or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown)
            {
                metrics.PushRetried();
                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
            catch (RpcException e)
            {
                throw new InvalidOperationException(
                    $"push of trajectory {trajectory.TrajectoryId} failed after {attempt} attempt(s): {e.StatusCode}: {e.Status.Detail}", e);
            }
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
