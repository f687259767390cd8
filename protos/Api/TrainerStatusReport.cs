using System.Text.Json;

namespace AgentOps.Protos.Api;

/// <summary>
/// The JSON the trainer serves at <c>/status</c> on its metrics port: written by the trainer, read by
/// `agentops run` (live progress) and by the operator (TrainingRun status). One definition for all three.
/// </summary>
public sealed record TrainerStatusReport(
    string Phase,
    long Step,
    long TotalSteps,
    long PolicyVersion,
    double MeanReward,
    double SuccessRate,
    long TrajectoriesIngested,
    double TokensPerSecond,
    double TrajectoriesPerSecond)
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>The document as served; non-finite numbers (no reward yet) are written as 0, which JSON can carry.</summary>
    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("phase", Phase);
            w.WriteNumber("step", Step);
            w.WriteNumber("totalSteps", TotalSteps);
            w.WriteNumber("policyVersion", PolicyVersion);
            w.WriteNumber("meanReward", Finite(MeanReward));
            w.WriteNumber("successRate", Finite(SuccessRate));
            w.WriteNumber("trajectoriesIngested", TrajectoriesIngested);
            w.WriteNumber("tokensPerSecond", Finite(TokensPerSecond));
            w.WriteNumber("trajectoriesPerSecond", Finite(TrajectoriesPerSecond));
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Parses a /status answer; throws <see cref="JsonException"/> when it is not one.</summary>
    public static TrainerStatusReport? Parse(string json) => JsonSerializer.Deserialize<TrainerStatusReport>(json, Web);

    private static double Finite(double v) => double.IsFinite(v) ? v : 0;
}
