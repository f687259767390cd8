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
        Assert.Equal("after RL vs after SFT: +4.0 points, 95% interval [-5.7, +13.6] (independent): not distinguishable at 95% (the interval includes 0)", Assert.Single(close));

        var output = new StringWriter();
        EvalTable.Print([Row(EvalTable.AfterSft, 100, 200), Row(EvalTable.AfterRl, 108, 200)], output);
        Assert.Contains("after RL vs after SFT: +4.0 points", output.ToString());
    }

    [Fact]
    public void Paired_interval_is_the_independent_one_without_correlation_and_narrower_with_it()
    {
        // 25 of each: a·d − b·c = 0, so φ = 0 and the paired interval is Newcombe's independent one.
        var uncorrelated = DifferenceInterval.OfPaired(25, 25, 25, 25);
        var independent = DifferenceInterval.Of(50, 100, 50, 100);
        Assert.Equal(independent.Low, uncorrelated.Low, 12);
        Assert.Equal(independent.High, uncorrelated.High, 12);

        // A measured make run (RL vs SFT on the same 200 tasks): 112 solved by both, 15 only after RL, 1 only after
        // SFT, 72 by neither. The models agree on 184 tasks: the paired interval excludes 0, the independent one
        // (which treats the shared outcomes as independent noise) does not.
        var paired = DifferenceInterval.OfPaired(112, 15, 1, 72);
        var unpaired = DifferenceInterval.Of(127, 200, 113, 200);
        Assert.Equal(0.07, paired.Difference, 12);
        Assert.Equal(unpaired.Difference, paired.Difference, 12);
        Assert.True(paired.Low > 0 && unpaired.Low < 0, $"paired [{paired.Low}, {paired.High}], independent [{unpaired.Low}, {unpaired.High}]");
        Assert.True(paired.High - paired.Low < unpaired.High - unpaired.Low);
        Assert.True(paired.Low < paired.Difference && paired.Difference < paired.High);
        // Discordant pairs all one way and nothing shared: no narrower than the independent interval.
        var disjoint = DifferenceInterval.OfPaired(0, 40, 0, 60);
        Assert.True(disjoint.Low <= DifferenceInterval.Of(40, 100, 0, 100).Low + 1e-12);
        Assert.Throws<ArgumentOutOfRangeException>(() => DifferenceInterval.OfPaired(1, -1, 0, 0));
    }

    [Fact]
    public void Findings_pair_the_rows_by_task_when_both_results_files_cover_the_same_tasks()
    {
        var dir = Directory.CreateTempSubdirectory("agentops-eval-").FullName;
        try
        {
            EvalResult Write(string label, Func<int, bool> solved, int tasks = 200, string? infraTask = null)
            {
                var path = Path.Combine(dir, label.Replace(' ', '-') + ".jsonl");
                File.WriteAllLines(path, Enumerable.Range(0, tasks).Select(i =>
                    $"{{\"task_id\":\"t{i}\",\"reward\":{(solved(i) ? 1 : 0)},\"outcome\":\"{($"t{i}" == infraTask ? "infra_sandbox" : "answered")}\"}}"));
                var results = EpisodeResult.ReadAll(path).Where(e => !e.IsInfrastructureFailure).ToList();
                var s = results.Count(e => e.Success);
                return new EvalResult(label, "/ckpt", results.Count, s, WilsonInterval.Of(s, results.Count), path, 1);
            }
            // SFT solves tasks 0-112, RL tasks 0-111 and 113-127: 112 both, 15 only RL, 1 only SFT, 72 neither.
            var sft = Write(EvalTable.AfterSft, i => i <= 112);
            var rl = Write(EvalTable.AfterRl, i => i <= 111 || i is >= 113 and <= 127);
            Assert.Equal((112, 15, 1, 72), EvalTable.Pairs(rl, sft));
            var line = EvalTable.Findings([sft, rl])[0];
            Assert.StartsWith("after RL vs after SFT: +7.0 points, 95% interval [+", line);
            Assert.Contains("(paired over 200 tasks: 15 solved only by after RL, 1 only by after SFT): better, beyond the interval", line);

            // Different task sets (another seed or count): not pairable, the independent interval.
            var other = Write(EvalTable.AfterRl, i => i < 120, tasks: 150);
            Assert.Null(EvalTable.Pairs(other, sft));
            Assert.Contains("(independent)", EvalTable.Findings([sft, other])[0]);
            // An infrastructure failure on one side leaves that task out of the pairs.
            var withInfra = Write(EvalTable.AfterRl, i => i <= 111 || i is >= 113 and <= 127, infraTask: "t120");
            Assert.Equal((112, 14, 1, 72), EvalTable.Pairs(withInfra, sft));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
