using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using AgentOps.Operator.Eval;
using AgentOps.Operator.Report;
using AgentOps.Operator.Tests.Local;

namespace AgentOps.Operator.Tests.Report;

// report.html from synthetic metrics.jsonl and eval results: points per step, axis labels, escaping.
public sealed class ReportTests : IDisposable
{
    private readonly TempDir _dir = new();

    /// <summary>30 SFT steps then 20 RL steps whose step count restarts at 1, like a trainer may log them.</summary>
    private string SyntheticMetrics()
    {
        var lines = new List<string>();
        for (var i = 1; i <= 30; i++)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $$$"""{"step":{{{i}}},"phase":"sft","time":{{{1000 + i}}},"metrics":{"loss/total":{{{3.0 / i}}},"perf/tokens_per_s":{{{12000 + i}}}}}"""));
        for (var i = 1; i <= 20; i++)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $$$"""{"step":{{{i}}},"phase":"rl","time":{{{1100 + i}}},"metrics":{"loss/total":{{{0.1}}},"rollout/reward_mean":{{{i / 20.0}}},"rollout/success_rate":{{{i / 25.0}}},"policy/kl":{{{0.001 * i}}},"perf/tokens_per_s":{{{5000}}}}}"""));
        return _dir.File("metrics.jsonl", string.Join('\n', lines) + "\n");
    }

    private static int Vertices(string svg, string series)
    {
        var m = Regex.Match(svg, $"data-series=\"{Regex.Escape(series)}\"[^>]*points=\"([^\"]*)\"");
        Assert.True(m.Success, $"no polyline for {series}");
        return m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    [Fact]
    public void Metrics_log_keeps_one_row_per_step_on_an_axis_that_keeps_increasing_across_phases()
    {
        var log = MetricsLog.Read(SyntheticMetrics());
        Assert.Equal(50, log.Rows.Count);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), log.Rows.Select(r => r.X));
        Assert.Equal([(31.0, "rl")], log.PhaseStarts());
        Assert.Equal(20, log.Series("rollout/reward_mean").Count);
        Assert.Equal(1120 - 1001, log.WallSeconds);
    }

    [Fact]
    public void Plot_has_one_vertex_per_step_axis_labels_ticks_and_a_phase_marker()
    {
        var log = MetricsLog.Read(SyntheticMetrics());
        var svg = SvgLinePlot.Render("Loss", "step", "loss/total", [new("loss", "#d62728", log.Series("loss/total"))], log.PhaseStarts());

        var doc = XDocument.Parse(svg); // well-formed XML
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(50, Vertices(svg, "loss"));
        var texts = doc.Descendants(ns + "text").Select(t => t.Value).ToList();
        Assert.Contains("step", texts);
        Assert.Contains("loss/total", texts);
        Assert.Contains("rl", texts);
        Assert.Contains("— loss", texts);
        Assert.True(doc.Descendants(ns + "text").Count(t => (string?)t.Attribute("class") == "tick") >= 6);
        // Every vertex lies inside the plot frame.
        var frame = doc.Descendants(ns + "rect").Single();
        double fx = double.Parse(frame.Attribute("x")!.Value, CultureInfo.InvariantCulture), fw = double.Parse(frame.Attribute("width")!.Value, CultureInfo.InvariantCulture);
        double fy = double.Parse(frame.Attribute("y")!.Value, CultureInfo.InvariantCulture), fh = double.Parse(frame.Attribute("height")!.Value, CultureInfo.InvariantCulture);
        foreach (var p in doc.Descendants(ns + "polyline").Single().Attribute("points")!.Value.Split(' '))
        {
            var xy = p.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.InRange(xy[0], fx - 0.01, fx + fw + 0.01);
            Assert.InRange(xy[1], fy - 0.01, fy + fh + 0.01);
        }
    }

    [Fact]
    public void Plot_without_data_says_so_instead_of_drawing_an_empty_frame()
    {
        var svg = SvgLinePlot.Render("KL", "step", "policy/kl", [new("KL", "#000", [])]);
        Assert.Contains(">no data</text>", svg);
        Assert.DoesNotContain("<polyline", svg);
    }

    [Fact]
    public void Nice_ticks_cover_the_range_in_steps_of_1_2_or_5()
    {
        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8, 1.0], SvgLinePlot.Ticks(0, 1, 6));
        Assert.Equal([0, 10, 20, 30, 40, 50], SvgLinePlot.Ticks(1, 50, 6));
    }

    [Fact]
    public void Report_has_the_eval_table_four_plots_and_escaped_episodes()
    {
        var results = _dir.File("eval-rl.jsonl", string.Join('\n',
            """{"taskId":"t1","success":true,"reward":1.0,"prompt":"What is 2 < 3 & 4?","transcript":"Let me compute.<code>print(2 < 3 and '</pre><script>alert(1)</script>')</code><output></pre><script>alert(1)</script></output><answer>True</answer>"}""",
            """{"taskId":"t2","success":false,"reward":0.0,"prompt":"7*8","transcript":"<answer>54</answer>"}""") + "\n");
        var rl = new EvalResult("after RL", "/r/checkpoints/latest", 200, 150, WilsonInterval.Of(150, 200), results, 30);
        var input = new ReportInput("arith", "arithmetic", "/m.yaml", MetricsLog.Read(SyntheticMetrics()),
            [new EvalResult("untrained", "(untrained)", 200, 0, WilsonInterval.Of(0, 200), "", 10), rl],
            ReportWriter.PickExamples(rl), ["a note & more"]);

        var html = ReportWriter.Render(input);

        Assert.Equal(4, Regex.Matches(html, "<svg ").Count);
        Assert.Contains("<td>after RL</td><td class=\"num\">75.0%</td><td class=\"num\">[68.6%, 80.5%]</td><td class=\"num\">150/200</td>", html);
        Assert.Contains("<td>untrained</td><td class=\"num\">0.0%</td><td class=\"num\">[0.0%, 1.9%]</td>", html);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("<pre class=\"code\"><span class=\"tag\">code</span>print(2 &lt; 3 and &#39;&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;)</pre>", html);
        Assert.Contains("<pre class=\"output\"><span class=\"tag\">output</span>&lt;/pre&gt;&lt;script&gt;", html);
        Assert.Contains("<div class=\"answer\"><span class=\"tag\">answer</span>True</div>", html);
        Assert.Contains("<pre class=\"prompt\">What is 2 &lt; 3 &amp; 4?</pre>", html);
        Assert.Contains("a note &amp; more", html);
        Assert.Contains("class=\"fail\">failure", html);
    }

    [Fact]
    public void Wilson_interval_matches_the_published_formula()
    {
        // statsmodels proportion_confint(8, 10, method="wilson") = (0.4902, 0.9433)
        var w = WilsonInterval.Of(8, 10);
        Assert.Equal(0.4902, w.Low, 4);
        Assert.Equal(0.9433, w.High, 4);
        var zero = WilsonInterval.Of(0, 200);
        Assert.Equal(0, zero.Low);
        Assert.Equal(0.0188, zero.High, 4);
    }

    public void Dispose() => _dir.Dispose();
}
