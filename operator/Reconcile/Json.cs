using System.Text.Json.Nodes;

namespace AgentOps.Operator.Reconcile;

/// <summary>Terse builders for the JSON of Kubernetes objects.</summary>
internal static class Json
{
    public static JsonObject Obj(params (string Key, JsonNode? Value)[] props)
    {
        var o = new JsonObject();
        foreach (var (k, v) in props) if (v is not null) o[k] = v;
        return o;
    }

    public static JsonArray Arr(params JsonNode?[] items) => new(items.Where(i => i is not null).ToArray());

    public static JsonObject Map(IEnumerable<KeyValuePair<string, string>> pairs) =>
        new(pairs.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));

    /// <summary>Numbers and strings as the API server returns them (JSON-backed), so comparisons with live objects are exact.</summary>
    public static JsonObject Normalize(JsonObject o) => (JsonObject)JsonNode.Parse(o.ToJsonString())!;
}
