using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;

namespace AgentOps.Operator.Kube;

/// <summary>A non-success answer of the API server (from KubernetesClient), with its metav1.Status reason and message.</summary>
public sealed class KubeApiException(HttpStatusCode statusCode, string reason, string message, string request, Exception? inner = null)
    : Exception($"{request}: {(int)statusCode} {reason}: {message}", inner)
{
    public HttpStatusCode StatusCode { get; } = statusCode;
    /// <summary>metav1.Status reason: NotFound, AlreadyExists, Conflict, Expired, Gone, Invalid, Forbidden, ...</summary>
    public string Reason { get; } = reason;
    public string ApiMessage { get; } = message;

    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;
    public bool IsConflict => StatusCode == HttpStatusCode.Conflict;
    public bool IsAlreadyExists => StatusCode == HttpStatusCode.Conflict && Reason == "AlreadyExists";
    /// <summary>410: the resourceVersion is too old (client-go: relist).</summary>
    public bool IsGone => StatusCode == HttpStatusCode.Gone || Reason is "Expired" or "Gone";
    /// <summary>422: the object is invalid (client-go apierrors.IsInvalid): retrying the same object cannot help.</summary>
    public bool IsInvalid => StatusCode == HttpStatusCode.UnprocessableEntity;

    /// <summary>The library's HttpOperationException (HTTP status + Status body) or KubernetesException (a watch ERROR event).</summary>
    public static KubeApiException From(Exception e, string request)
    {
        switch (e)
        {
            case KubeApiException k: return k;
            case HttpOperationException h:
                var body = h.Response?.Content ?? "";
                var code = h.Response?.StatusCode ?? HttpStatusCode.InternalServerError;
                try
                {
                    if (JsonNode.Parse(body) is JsonObject s && (string?)s["kind"] == "Status")
                        return new(code, (string?)s["reason"] ?? code.ToString(), (string?)s["message"] ?? "", request, e);
                }
                catch (System.Text.Json.JsonException) { }
                return new(code, code.ToString(), body.Length > 500 ? body[..500] : body, request, e);
            case KubernetesException { Status: { } status }:
                var c = status.Code is int n && n > 0 ? (HttpStatusCode)n : HttpStatusCode.InternalServerError;
                return new(c, status.Reason ?? c.ToString(), status.Message ?? "", request, e);
            default:
                return new(HttpStatusCode.InternalServerError, e.GetType().Name, e.Message, request, e);
        }
    }
}
