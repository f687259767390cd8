using System.Net;
using System.Text.Json.Nodes;

namespace AgentOps.Operator.Kube;

/// <summary>A non-success answer of the API server, with its metav1.Status reason and message.</summary>
public sealed class KubeApiException(HttpStatusCode statusCode, string reason, string message, string request)
    : Exception($"{request}: {(int)statusCode} {reason}: {message}")
{
    public HttpStatusCode StatusCode { get; } = statusCode;
    /// <summary>metav1.Status reason: NotFound, AlreadyExists, Conflict, Expired, Gone, Invalid, ...</summary>
    public string Reason { get; } = reason;
    public string ApiMessage { get; } = message;

    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;
    public bool IsConflict => StatusCode == HttpStatusCode.Conflict;
    public bool IsAlreadyExists => StatusCode == HttpStatusCode.Conflict && Reason == "AlreadyExists";
    /// <summary>410: the resourceVersion is too old (client-go: relist).</summary>
    public bool IsGone => StatusCode == HttpStatusCode.Gone || Reason is "Expired" or "Gone";

    public static KubeApiException FromStatus(HttpStatusCode code, string body, string request)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject s && (string?)s["kind"] == "Status")
                return new(code, (string?)s["reason"] ?? code.ToString(), (string?)s["message"] ?? "", request);
        }
        catch (System.Text.Json.JsonException) { }
        return new(code, code.ToString(), body.Length > 500 ? body[..500] : body, request);
    }
}
