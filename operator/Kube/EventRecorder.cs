using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace AgentOps.Operator.Kube;

/// <summary>
/// Writes events.k8s.io/v1 Events about an object (client-go tools/events): regarding, reason, note, type,
/// action, reportingController. Called after the status write, never before (STYLE.md rule 6).
/// </summary>
public sealed class EventRecorder(KubeClient client, TimeProvider time, string reportingInstance)
{
    private long _sequence;

    public const string ReportingController = "agentops.dev/operator";

    public async Task RecordAsync(JsonObject regarding, string type, string reason, string action, string note, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var ev = new Eventsv1Event
        {
            Metadata = new V1ObjectMeta
            {
                Name = $"{regarding.Name()}.{now.ToUnixTimeMilliseconds():x}{Interlocked.Increment(ref _sequence):x4}",
                NamespaceProperty = regarding.Namespace(),
            },
            EventTime = KubeTime.Micro(now),
            ReportingController = ReportingController,
            // The API server limits reportingInstance to 128 characters.
            ReportingInstance = reportingInstance.Length > 128 ? reportingInstance[..128] : reportingInstance,
            Action = action,
            Reason = reason,
            Note = note.Length > 1024 ? note[..1024] : note,
            Type = type,
            Regarding = new V1ObjectReference
            {
                ApiVersion = (string?)regarding["apiVersion"],
                Kind = (string?)regarding["kind"],
                Name = regarding.Name(),
                NamespaceProperty = regarding.Namespace(),
                Uid = regarding.Uid(),
                ResourceVersion = regarding.ResourceVersion(),
            },
        };
        try { await client.Api.EventsV1.CreateNamespacedEventAsync(ev, regarding.Namespace(), cancellationToken: ct); }
        catch (k8s.Autorest.HttpOperationException e) { throw KubeApiException.From(e, $"POST events {regarding.Namespace()}/{ev.Metadata.Name}"); }
    }
}
