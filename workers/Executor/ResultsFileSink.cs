using System.Text.Json;
using AgentOps.Protos.V1;
using AgentOps.Workers.Environments;

namespace AgentOps.Workers.Executor;

/// <summary>
/// Eval mode (`--results FILE`): one JSON object per episode, flushed per line:
/// {"trajectory_id","episode_id","task_id","group_id","environment","split","question","expected","answer",
///  "outcome","reward","success","components":{…},"turns","generate_seconds","sandbox_seconds","total_seconds","message",
///  "transcript"}. The transcript is the episode's token sequence decoded (prompt, actions, outputs, feedback),
/// read by operator/Eval/EpisodeResult for the report's example episodes.
/// </summary>
public sealed class ResultsFileSink : ITrajectorySink
{
    private readonly StreamWriter _writer;
    private readonly SemaphoreSlim _lock = new(1, 1);

    public ResultsFileSink(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        _writer = new StreamWriter(path, append: false);
    }

    public async Task WriteAsync(Trajectory t, EnvTask task, CancellationToken cancellationToken = default)
    {
        var line = JsonSerializer.Serialize(new
        {
            trajectory_id = t.TrajectoryId,
            episode_id = t.EpisodeId,
            task_id = t.TaskId,
            group_id = t.GroupId,
            environment = t.Environment,
            split = t.Split,
            question = task.Question,
            expected = task.ExpectedAnswer,
            answer = t.Outcome.Answer,
            outcome = ExecutorMetrics.OutcomeLabel(t.Outcome.Status),
            reward = t.Reward.Total,
            // What the held-out tables count: the verifier's "correct" (exact), which a partial-credit reward (F1) is not.
            success = t.Reward.Components.GetValueOrDefault("correct") >= 1,
            components = t.Reward.Components.ToDictionary(kv => kv.Key, kv => kv.Value),
            turns = t.Steps.Count,
            generate_seconds = t.Timings.GenerateSeconds,
            sandbox_seconds = t.Timings.SandboxSeconds,
            total_seconds = t.Timings.TotalSeconds,
            message = t.Outcome.Message,
            transcript = Transcript(t),
        }, JsonOptions);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            await _writer.WriteLineAsync(line);
            await _writer.FlushAsync(cancellationToken);
        }
        finally { _lock.Release(); }
    }

    /// <summary>The concatenation of the episode's segments, decoded; special tokens (BOS, EOS, pad) are dropped.</summary>
    public static string Transcript(Trajectory t)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var s in t.Segments) sb.Append(AgentOps.Protos.Tokenization.ByteTokenizer.Decode(s.TokenIds.ToArray()));
        return sb.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        _lock.Dispose();
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
