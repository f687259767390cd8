using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using AgentOps.Workers.Agent;
using AgentOps.Workers.Environments;

namespace AgentOps.Workers.Tests.Agent;

public class TrajectoryBuilderTests
{
    [Fact]
    public void Masks_logprobs_and_versions_sit_only_on_generated_segments()
    {
        var spec = new EpisodeSpec("run", "e1", 0, "g1", "train", "ex-0", new EnvTask("t", "arithmetic", "1+2", "3", ["print(1+2)"]));
        var b = new TrajectoryBuilder(spec, "arithmetic");
        b.AddText(SegmentKind.Prompt, "Q: 1+2\n", 0);
        b.AddGenerated(new PolicyCompletion("<code>print(1+2)</code>", ByteTokenizer.Encode("<code>print(1+2)</code>"),
            Enumerable.Repeat(-0.5f, 23).ToArray(), 7, FinishReason.Stop), 0);
        b.AddText(SegmentKind.ToolOutput, "\n<output>3</output>\n", 0);
        var t = b.Trajectory;
        Assert.Equal(spec.TrajectoryId, t.TrajectoryId);
        Assert.Equal("g1", t.GroupId);
        Assert.All(t.Segments, s => Assert.Equal(s.TokenIds.Count, s.LossMask.Length));
        Assert.All(t.Segments.Where(s => s.Kind != SegmentKind.Generated), s =>
        {
            Assert.All(s.LossMask, m => Assert.Equal(0, m));
            Assert.Empty(s.Logprobs);
            Assert.Equal(0, s.PolicyVersion);
        });
        var g = t.Segments.Single(s => s.Kind == SegmentKind.Generated);
        Assert.All(g.LossMask, m => Assert.Equal(1, m));
        Assert.Equal(g.TokenIds.Count, g.Logprobs.Count);
        Assert.Equal(7, g.PolicyVersion);
        Assert.Equal(t.Segments.SelectMany(s => s.TokenIds), b.Context);
        Assert.Throws<PolicyUnavailableException>(() =>
            b.AddGenerated(new PolicyCompletion("ab", [97, 98], [-1f], 7, FinishReason.Stop), 1));
    }
}
