using AgentOps.Operator.Eval;

namespace AgentOps.Operator.Tests.Eval;

public class EvalTableTests
{
    private static EvalResult Row(string label, int successes, int n) =>
        new(label, "/ckpt", n, successes, WilsonInterval.Of(successes, n), "", 1);

    [Theory]
    // Newcombe (1998), Table II, method 10: examples (a), (c) and (f).
    [InlineData(56, 70, 48, 80, 0.0524, 0.3339)]
    [InlineData(9, 10, 3, 10, 0.1705, 0.8090)]
    [InlineData(5, 56, 0, 29, -0.0381, 0.1926)]
    public void Difference_interval_matches_Newcombes_published_examples(int s1, int n1, int s2, int n2, double low, double high)
    {
        var d = DifferenceInterval.Of(s1, n1, s2, n2);
        Assert.Equal((double)s1 / n1 - (double)s2 / n2, d.Difference, 10);
        Assert.Equal(low, d.Low, 4);
        Assert.Equal(high, d.High, 4);
        Assert.Equal(low > 0, d.IsImprovement);
    }

    [Fact]
    public void Findings_say_whether_RL_beat_SFT_beyond_the_interval_and_compare_with_text_only()
    {
        var findings = EvalTable.Findings([
            Row(EvalTable.Untrained, 0, 200), Row(EvalTable.AfterSft, 60, 200), Row(EvalTable.AfterRl, 120, 200), Row(EvalTable.TextOnlySft, 10, 200)]);
        Assert.Equal(3, findings.Count);
        Assert.StartsWith("after RL vs after SFT: +30.0 points, 95% interval [+20.", findings[0]);
        Assert.EndsWith("better, beyond the interval", findings[0]);
        Assert.StartsWith("interpreter vs text-only (ReTool, same SFT budget): +25.0 points", findings[2]);

        var close = EvalTable.Findings([Row(EvalTable.AfterSft, 100, 200), Row(EvalTable.AfterRl, 108, 200)]);
        Assert.Equal("after RL vs after SFT: +4.0 points, 95% interval [-5.7, +13.6]: not distinguishable at 95% (the interval includes 0)", Assert.Single(close));

        var output = new StringWriter();
        EvalTable.Print([Row(EvalTable.AfterSft, 100, 200), Row(EvalTable.AfterRl, 108, 200)], output);
        Assert.Contains("after RL vs after SFT: +4.0 points", output.ToString());
    }
}
