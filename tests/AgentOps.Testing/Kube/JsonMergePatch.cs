using System.Text.Json.Nodes;

namespace AgentOps.Testing.Kube;

/// <summary>RFC 7386 JSON merge patch: objects merge recursively, null removes a key, anything else replaces.</summary>
public static class JsonMergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p) return patch?.DeepClone();
        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (k, v) in p)
        {
            if (v is null) result.Remove(k);
            else result[k] = Apply(result[k], v);
        }
        return result;
    }
}
