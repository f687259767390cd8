using System.Diagnostics;
using AgentOps.Operator.Kube;
using Microsoft.Extensions.Logging;

namespace AgentOps.Operator.Controller;

/// <summary>What a reconcile asks for next: nothing (wait for a change) or a re-check after a delay.</summary>
public readonly record struct ReconcileResult(TimeSpan? RequeueAfter)
{
    public static ReconcileResult Done => new(null);
    public static ReconcileResult After(TimeSpan delay) => new(delay);
}

/// <summary>A level-triggered reconciler of one kind: reads the world for a key and makes it so.</summary>
public interface IReconciler
{
    string Kind { get; }
    Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken ct);
}

/// <summary>
/// controller-runtime's Controller: workers take keys from the rate-limited queue and reconcile them; an
/// error re-queues with per-key backoff, success forgets the backoff and honours RequeueAfter.
/// </summary>
public sealed class Controller(IReconciler reconciler, WorkQueue<ObjectKey> queue, OperatorMetrics metrics, ILogger logger)
{
    public WorkQueue<ObjectKey> Queue => queue;

    public Task RunAsync(int workers, CancellationToken ct) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkerAsync(ct), CancellationToken.None)));

    private async Task WorkerAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var key = await queue.GetAsync(ct);
            if (key == default) return;
            var started = Stopwatch.GetTimestamp();
            try
            {
                var result = await reconciler.ReconcileAsync(key, ct);
                metrics.Reconciled(reconciler.Kind, Stopwatch.GetElapsedTime(started).TotalSeconds, failed: false);
                queue.Forget(key);
                if (result.RequeueAfter is { } after) queue.AddAfter(key, after);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (KubeApiException e) when (e.IsConflict && !e.IsAlreadyExists)
            {
                // A write against a stale resourceVersion: routine when a cache lags a write. client-go requeues these
                // quietly (apierrors.IsConflict); no warning, no stack trace.
                metrics.Reconciled(reconciler.Kind, Stopwatch.GetElapsedTime(started).TotalSeconds, failed: true);
                Log.ReconcileConflict(logger, reconciler.Kind, key.ToString(), e.ApiMessage);
                queue.AddRateLimited(key);
            }
            catch (Exception e) when (e is Reconcile.StreamCleanupException)
            {
                metrics.Reconciled(reconciler.Kind, Stopwatch.GetElapsedTime(started).TotalSeconds, failed: true);
                Log.ReconcileRetry(logger, reconciler.Kind, key.ToString(), e.Message);
                queue.AddRateLimited(key);
            }
            catch (Exception e)
            {
                metrics.Reconciled(reconciler.Kind, Stopwatch.GetElapsedTime(started).TotalSeconds, failed: true);
                Log.ReconcileFailed(logger, e, reconciler.Kind, key.ToString(), queue.NumRequeues(key) + 1);
                queue.AddRateLimited(key);
            }
            finally { queue.Done(key); }
        }
    }
}
