using System.Text.Json.Nodes;

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
        var ev = new JsonObject
        {
            ["apiVersion"] = "events.k8s.io/v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"{regarding.Name()}.{now.ToUnixTimeMilliseconds():x}{Interlocked.Increment(ref _sequence):x4}",
                ["namespace"] = regarding.Namespace(),
            },
            ["eventTime"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"),
            ["reportingController"] = ReportingController,
            ["reportingInstance"] = reportingInstance,
            ["action"] = action,
            ["reason"] = reason,
            ["note"] = note.Length > 1024 ? note[..1024] : note,
            ["type"] = type,
            ["regarding"] = new JsonObject
            {
                ["apiVersion"] = (string?)regarding["apiVersion"],
                ["kind"] = (string?)regarding["kind"],
                ["name"] = regarding.Name(),
                ["namespace"] = regarding.Namespace(),
                ["uid"] = regarding.Uid(),
                ["resourceVersion"] = regarding.ResourceVersion(),
            },
        };
        await client.CreateAsync(ResourceType.Event, ev, ct);
    }
}
