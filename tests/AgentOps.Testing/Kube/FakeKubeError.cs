using System.Text.Json.Nodes;

namespace AgentOps.Testing.Kube;

/// <summary>An error answer of the fake API server, sent as a metav1.Status like the real one.</summary>
public sealed class FakeKubeError(int code, string reason, string message) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;

    public JsonObject ToStatus() => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = Message,
        ["reason"] = Reason,
        ["code"] = Code,
    };

    public static FakeKubeError NotFound(string resource, string name) => new(404, "NotFound", $"{resource} \"{name}\" not found");
    public static FakeKubeError Conflict(string resource, string name) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
}
