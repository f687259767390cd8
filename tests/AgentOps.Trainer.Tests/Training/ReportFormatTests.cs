using System.Text.Json;
using AgentOps.Trainer.Training;

namespace AgentOps.Trainer.Tests.Training;

public class ReportFormatTests
{
    [Fact]
    public void Metrics_jsonl_lines_round_trip_and_leave_out_undefined_values()
    {
        var dir = Directory.CreateTempSubdirectory("agentops-jsonl-");
        try
        {
            var path = Path.Combine(dir.FullName, "metrics.jsonl");
            using (var log = new MetricsJsonl(path))
            {
                log.Append(new StepReport(0, "sft", 1700000000.5, new Dictionary<string, double> { ["loss/total"] = 2.5, ["policy/kl"] = double.NaN }));
                log.Append(new StepReport(1, "rl", 1700000001, new Dictionary<string, double> { ["rollout/reward_mean"] = 0.25 }));
            }
            var lines = File.ReadAllLines(path);
            Assert.Equal(2, lines.Length);
            Assert.Equal("""{"step":0,"phase":"sft","time":1700000000.5,"metrics":{"loss/total":2.5}}""", lines[0]);
            var back = MetricsJsonl.Read(path).ToList();
            Assert.Equal(1, back[1].Step);
            Assert.Equal(0.25, back[1].Metrics["rollout/reward_mean"]);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void Status_json_has_exactly_the_contract_fields()
    {
        var s = new TrainerStatus("rl", 3, 10, 4);
        s.Update(c => c with { MeanReward = 0.5, TrajectoriesIngested = 7 });
        using var doc = JsonDocument.Parse(s.Current.ToJson());
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(new[] { "phase", "step", "totalSteps", "policyVersion", "meanReward", "successRate", "trajectoriesIngested", "tokensPerSecond", "trajectoriesPerSecond" }, names);
        Assert.Equal("rl", doc.RootElement.GetProperty("phase").GetString());
        Assert.Equal(4, doc.RootElement.GetProperty("policyVersion").GetInt64());
        Assert.Equal(7, doc.RootElement.GetProperty("trajectoriesIngested").GetInt64());
    }

    [Fact]
    public void Phases_follow_the_step_count()
    {
        var o = new TrainerOptions { SftSteps = 2, RlSteps = 3 };
        Assert.Equal(new[] { "sft", "sft", "rl", "rl", "rl", "done" }, Enumerable.Range(0, 6).Select(i => PhasePlan.From(o).At(i)));
        var sftOnly = o with { Algorithm = "sft" };
        Assert.Equal(5, sftOnly.SftPhaseSteps);
        Assert.Equal("done", PhasePlan.From(sftOnly).At(5));
        var noSft = o with { SftEnabled = false };
        Assert.Equal("rl", PhasePlan.From(noSft).At(0));
        // A target loss that ended SFT after 1 step: RL keeps its 3 steps.
        var early = PhasePlan.From(o) with { SftSteps = 1 };
        Assert.Equal(new[] { "sft", "rl", "rl", "rl", "done" }, Enumerable.Range(0, 5).Select(i => early.At(i)));
        Assert.Equal(4, early.TotalSteps);
    }
}
