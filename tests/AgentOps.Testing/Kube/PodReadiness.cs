using k8s;
using k8s.Models;

namespace AgentOps.Testing.Kube;

/// <summary>
/// What a kubelet would report, for a control plane without one: marks pods Running and Ready through the status
/// subresource (the ReplicaSet and StatefulSet controllers then count them ready). <see cref="RunAsync"/> keeps doing
/// it for new pods of a namespace that <c>shouldBeReady</c> accepts, until cancelled.
/// </summary>
public static class PodReadiness
{
    public static async Task<int> MarkReadyAsync(IKubernetes api, string ns, Func<V1Pod, bool>? shouldBeReady = null, CancellationToken ct = default)
    {
        var marked = 0;
        // Only pods not marked yet (a marked pod is Running): listing every pod of a namespace five times a second made
        // the API server's serialization the bottleneck of the 1,000-run bench.
        var pending = (await api.CoreV1.ListNamespacedPodAsync(ns, fieldSelector: "status.phase=Pending", cancellationToken: ct)).Items
            .Where(pod => pod.Metadata.DeletionTimestamp is null && !IsReady(pod) && shouldBeReady?.Invoke(pod) != false).ToList();
        await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (pod, ct) =>
        {
            var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
            var patch = $$"""
                {"status":{"phase":"Running","startTime":"{{now}}","conditions":[
                  {"type":"PodScheduled","status":"True","lastTransitionTime":"{{now}}"},
                  {"type":"Initialized","status":"True","lastTransitionTime":"{{now}}"},
                  {"type":"ContainersReady","status":"True","lastTransitionTime":"{{now}}"},
                  {"type":"Ready","status":"True","lastTransitionTime":"{{now}}"}]}
                }
                """;
            try
            {
                await api.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), pod.Metadata.Name, ns, cancellationToken: ct);
                Interlocked.Increment(ref marked);
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Conflict) { }
        });
        return marked;
    }

    public static bool IsReady(V1Pod pod) => pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>Marks matching pods of <paramref name="ns"/> ready every 200 ms until cancelled.</summary>
    public static async Task RunAsync(IKubernetes api, string ns, Func<V1Pod, bool>? shouldBeReady, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try { await MarkReadyAsync(api, ns, shouldBeReady, ct); }
            catch (OperationCanceledException) { return; }
            catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException) { }
            try { await Task.Delay(200, ct); } catch (OperationCanceledException) { return; }
        }
    }
}
