using AgentOps.Protos.Tokenization;
using AgentOps.Workers.Agent;

namespace AgentOps.Workers.Tests.Agent;

public class PromptFormatTests
{
    [Fact]
    public void A_reference_arithmetic_episode_is_98_bytes()
    {
        var episode = PromptFormat.Prompt("(37*41-123)*17") + PromptFormat.Code("print((37*41-123)*17)")
            + PromptFormat.Output("23698") + PromptFormat.Answer("23698");
        Assert.Equal("Q: (37*41-123)*17\n<code>print((37*41-123)*17)</code>\n<output>23698</output>\n<answer>23698</answer>", episode);
        Assert.Equal(98, ByteTokenizer.Encode(episode).Length);
    }

    [Fact]
    public void Observations_join_stdout_and_error_and_are_cut_on_utf8_boundaries()
    {
        Assert.Equal("1\nNameError: name 'x' is not defined", PromptFormat.Observation("1\n", "NameError: name 'x' is not defined", 160));
        var cut = PromptFormat.Observation(new string('é', 100), null, 20);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(cut) <= 20, cut);
        Assert.EndsWith("…", cut);
        Assert.DoesNotContain('\uFFFD', cut);
    }

    [Theory]
    [InlineData("<code>print(1)</code>", ActionKind.Code, "print(1)")]
    [InlineData("think first <answer> 42 </answer>", ActionKind.Answer, "42")]
    [InlineData("<answer>7</answer><code>x</code>", ActionKind.Answer, "7")]
    [InlineData("<code>x=1</code><answer>7</answer>", ActionKind.Code, "x=1")]
    [InlineData("<code>print(1)", ActionKind.Malformed, "close <code> with </code>")]
    [InlineData("<answer>7", ActionKind.Malformed, "close <answer> with </answer>")]
    [InlineData("<code>  </code>", ActionKind.Malformed, "empty <code> block")]
    [InlineData("42", ActionKind.Malformed, "write <code>...</code> or <answer>...</answer>")]
    public void Actions_parse_to_code_answer_or_feedback(string text, ActionKind kind, string content)
    {
        var a = ActionParser.Parse(text);
        Assert.Equal(kind, a.Kind);
        Assert.Equal(content, a.Content);
    }

    [Fact]
    public void Trajectory_ids_are_stable_per_attempt()
    {
        Assert.Equal(TrajectoryIds.For("run", "e1", 0), TrajectoryIds.For("run", "e1", 0));
        Assert.NotEqual(TrajectoryIds.For("run", "e1", 0), TrajectoryIds.For("run", "e1", 1));
        Assert.NotEqual(TrajectoryIds.For("run", "e1", 0), TrajectoryIds.For("run2", "e1", 0));
        Assert.Equal(32, TrajectoryIds.For("run", "e1", 0).Length);
        Assert.NotEqual(0UL, TrajectoryIds.Seed("x", 0));
    }
}
