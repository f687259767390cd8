using System.Text.Json;

namespace AgentOps.Operator.Eval;

/// <summary>
/// One line of an executor's `--results` JSONL. Read leniently by name so that extra fields are fine:
/// success (bool; else reward ≥ 1), reward, taskId, prompt, answer, transcript or text (the whole episode).
/// </summary>
public sealed record EpisodeResult(string TaskId, bool Success, double Reward, string Prompt, string Transcript, string Status)
{
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
            Text(e, "taskId") ?? Text(e, "task_id") ?? Text(e, "id") ?? "",
            success, reward,
            Text(e, "prompt") ?? "",
            Text(e, "transcript") ?? Text(e, "text") ?? Text(e, "completion") ?? "",
            Text(e, "status") ?? Text(e, "outcome") ?? "");
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.ToString() : null;

    private static double? Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
