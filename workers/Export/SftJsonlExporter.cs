using System.Text.Json;
using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;

namespace AgentOps.Workers.Export;

/// <summary>
/// Writes kept trajectories as an SFT dataset, one JSON object per line in chat format:
/// {"messages":[{"role":"user","content":"Q: …"},{"role":"assistant","content":"&lt;code&gt;…&lt;/code&gt;"},
/// {"role":"user","content":"&lt;output&gt;…&lt;/output&gt;"},…],"trajectory_id":…,"task_id":…,"environment":…,"reward":…}.
/// The task and every observation (interpreter output, feedback) are user turns, each policy action an
/// assistant turn; the newlines that frame observations in the byte stream (PromptFormat) are trimmed.
/// </summary>
public sealed class SftJsonlExporter(TrajectoryFilter filter)
{
    public sealed record Stats(int Seen, int Kept, IReadOnlyDictionary<string, int> Dropped);

    public async Task<Stats> ExportAsync(IEnumerable<Trajectory> trajectories, TextWriter output, CancellationToken cancellationToken = default)
    {
        int seen = 0, kept = 0;
        var dropped = new Dictionary<string, int>();
        foreach (var t in trajectories)
        {
            cancellationToken.ThrowIfCancellationRequested();
            seen++;
            var why = filter.Reject(t);
            if (why is not null)
            {
                var key = why.StartsWith("reward", StringComparison.Ordinal) ? "reward" : why;
                dropped[key] = dropped.GetValueOrDefault(key) + 1;
                continue;
            }
            kept++;
            await output.WriteLineAsync(ToJsonLine(t));
        }
        await output.FlushAsync(cancellationToken);
        return new Stats(seen, kept, dropped);
    }

    public static string ToJsonLine(Trajectory t)
    {
        var messages = new List<Dictionary<string, string>>();
        foreach (var s in t.Segments)
        {
            var role = s.Kind == SegmentKind.Generated ? "assistant" : "user";
            var text = ByteTokenizer.Decode(s.TokenIds.ToArray()).Trim('\n');
            if (messages.Count > 0 && messages[^1]["role"] == role) messages[^1]["content"] += "\n" + text;
            else messages.Add(new Dictionary<string, string> { ["role"] = role, ["content"] = text });
        }
        return JsonSerializer.Serialize(new
        {
            messages,
            trajectory_id = t.TrajectoryId,
            task_id = t.TaskId,
            environment = t.Environment,
            reward = t.Reward?.Total ?? 0,
        }, JsonOptions);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
