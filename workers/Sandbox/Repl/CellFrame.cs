using System.Text.Json.Serialization;

namespace AgentOps.Workers.Sandbox.Repl;

/// <summary>One line the driver writes (python/repl.py): the ready banner or a cell's result.</summary>
internal sealed record CellFrame
{
    [JsonPropertyName("ready")] public bool Ready { get; init; }
    [JsonPropertyName("pid")] public int Pid { get; init; }
    [JsonPropertyName("python")] public string? Python { get; init; }
    [JsonPropertyName("id")] public long Id { get; init; }
    [JsonPropertyName("stdout")] public string Stdout { get; init; } = "";
    [JsonPropertyName("stderr")] public string Stderr { get; init; } = "";
    [JsonPropertyName("error")] public string? Error { get; init; }
    [JsonPropertyName("traceback")] public string? Traceback { get; init; }
    [JsonPropertyName("truncated")] public bool Truncated { get; init; }
    [JsonPropertyName("outputLimit")] public bool OutputLimit { get; init; }
    [JsonPropertyName("memory")] public bool Memory { get; init; }
    [JsonPropertyName("generation")] public long Generation { get; init; }
    [JsonPropertyName("isolated")] public bool Isolated { get; init; }
    [JsonPropertyName("resetError")] public string? ResetError { get; init; }
    /// <summary>On a recycle's banner: "soft" (the interpreter verified and restored itself) or "fork"
    /// (a fresh interpreter; <see cref="ResetReason"/> says what the soft reset found).</summary>
    [JsonPropertyName("reset")] public string? Reset { get; init; }
    [JsonPropertyName("resetReason")] public string? ResetReason { get; init; }
}

/// <summary>One line the executor writes to the driver.</summary>
internal sealed record CellRequest([property: JsonPropertyName("id")] long Id, [property: JsonPropertyName("code")] string Code);

[JsonSerializable(typeof(CellFrame))]
[JsonSerializable(typeof(CellRequest))]
internal sealed partial class ReplJsonContext : JsonSerializerContext;
