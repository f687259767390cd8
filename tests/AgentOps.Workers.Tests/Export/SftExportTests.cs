using System.Text.Json;
using AgentOps.Protos.V1;
using AgentOps.Workers.Agent;
using AgentOps.Workers.Environments;
using AgentOps.Workers.Export;

namespace AgentOps.Workers.Tests.Export;

public class SftExportTests
{
    private static Trajectory Make(string id, OutcomeStatus status, double reward, double format = 1, params (SegmentKind Kind, string Text)[] segments)
    {
        var b = new TrajectoryBuilder(new EpisodeSpec("run", id, 0, "g", "sft", "ex", new EnvTask("t-" + id, "arithmetic", "1+2", "3", [])), "arithmetic");
        foreach (var (kind, text) in segments)
        {
            if (kind == SegmentKind.Generated)
            {
                var ids = AgentOps.Protos.Tokenization.ByteTokenizer.Encode(text);
                b.AddGenerated(new PolicyCompletion(text, ids, new float[ids.Length], 0, FinishReason.Stop), 0);
            }
            else b.AddText(kind, text, 0);
        }
        b.SetReward(reward, new Dictionary<string, double> { ["correct"] = reward, ["format"] = format });
        b.SetOutcome(status, "m");
        return b.Trajectory;
    }

    [Fact]
    public async Task Keeps_only_answered_rewarded_well_formed_trajectories_and_writes_chat_jsonl()
    {
        (SegmentKind, string)[] episode =
        [
            (SegmentKind.Prompt, "Q: 1+2\n"), (SegmentKind.Generated, "<code>print(1+2)</code>"),
            (SegmentKind.ToolOutput, "\n<output>3</output>\n"), (SegmentKind.Generated, "<answer>3</answer>"),
        ];
        var all = new[]
        {
            Make("keep", OutcomeStatus.Answered, 1, 1, episode),
            Make("wrong", OutcomeStatus.Answered, 0, 1, episode),
            Make("sloppy", OutcomeStatus.Answered, 1, 0, episode),
            Make("truncated", OutcomeStatus.Truncated, 0, 0, episode),
            Make("infra", OutcomeStatus.InfraSandboxCrashed, 0, 0, episode),
        };
        var sw = new StringWriter();
        var stats = await new SftJsonlExporter(new TrajectoryFilter()).ExportAsync(all, sw);
        Assert.Equal(5, stats.Seen);
        Assert.Equal(1, stats.Kept);
        Assert.Equal(1, stats.Dropped["reward"]);
        Assert.Equal(1, stats.Dropped["format"]);
        Assert.Equal(1, stats.Dropped["outcome Truncated"]);
        Assert.Equal(1, stats.Dropped["infrastructure failure"]);
        var line = JsonDocument.Parse(sw.ToString().Trim()).RootElement;
        Assert.Equal(all[0].TrajectoryId, line.GetProperty("trajectory_id").GetString());
        var messages = line.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToList();
        Assert.Equal([("user", "Q: 1+2"), ("assistant", "<code>print(1+2)</code>"), ("user", "<output>3</output>"), ("assistant", "<answer>3</answer>")], messages);

        var lenient = new SftJsonlExporter(new TrajectoryFilter(MinReward: 0, RequireFormat: false));
        Assert.Equal(3, (await lenient.ExportAsync(all, new StringWriter())).Kept);
    }
}
