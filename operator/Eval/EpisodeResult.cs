using System.Text.Json;

namespace AgentOps.Operator.Eval;

/// <summary>
/// One line of an executor's `--results` JSONL (workers/Executor/ResultsFileSink: task_id, question, expected,
/// answer, outcome, reward, …). Read by name, so extra fields are fine. Success is reward ≥ 1 (the binary
/// verifiers) unless a "success" field says otherwise; outcomes "infra_*" are infrastructure failures, not
/// the model's. The transcript (the decoded episode, code and output included) is shown when present.
/// </summary>
public sealed record EpisodeResult(string TaskId, bool Success, double Reward, string Prompt, string Transcript, string Outcome, string Expected, string Answer)
{
    public bool IsInfrastructureFailure => Outcome.StartsWith("infra_", StringComparison.Ordinal);

    public static IReadOnlyList<EpisodeResult> ReadAll(string path)
    {
        var list = new List<EpisodeResult>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                list.Add(Parse(JsonDocument.Parse(line).RootElement));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{lineNo}: not a JSON object ({e.Message})", e);
            }
        }
        return list;
    }

    public static EpisodeResult Parse(JsonElement e)
    {
        double reward = Number(e, "reward") ?? 0;
        bool success = e.TryGetProperty("success", out var s) && s.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? s.GetBoolean() : reward >= 1.0;
        return new EpisodeResult(
            Text(e, "task_id") ?? Text(e, "taskId") ?? "",
            success, reward,
            Text(e, "question") ?? Text(e, "prompt") ?? "",
            Text(e, "transcript") ?? Text(e, "text") ?? "",
            Text(e, "outcome") ?? "",
            Text(e, "expected") ?? "",
            Text(e, "answer") ?? "");
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.ToString() : null;

    private static double? Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
