using System.Text.Json;
using AgentOps.Protos.Api;

namespace AgentOps.Operator.Tests.Local;

/// <summary>
/// Issue 19.2 (the smoke half): every manifest in examples/ runs to completion under the real `agentops run` and
/// writes its report, with every environment setting it names. Only the budgets are cut (SFT and RL steps, prompts
/// per step, group size, executors, held-out tasks) so all five fit in `make test`; the full runs are measured
/// outside the test suite.
/// </summary>
[Collection(AgentopsRunCollection.Name)]
public sealed class ExampleRunsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public static IEnumerable<object[]> Examples() =>
        Directory.GetFiles(RepoPaths.Of("examples"), "*.yaml").Order(StringComparer.Ordinal).Select(f => new object[] { Path.GetFileName(f) });

    /// <summary>The example with its budgets cut and everything else (environment, settings, agent, algorithm, export) as written.</summary>
    internal static string Shortened(string file)
    {
        var run = Manifests.LoadTrainingRun(RepoPaths.Of("examples", file));
        var s = run.Spec;
        var shortened = run with
        {
            Spec = s with
            {
                Environment = s.Environment with { TasksPerStep = 2 },
                Policy = s.Policy with { Sft = s.Policy.Sft with { Steps = 2, BatchSize = 4, Demonstrations = 8, TargetLoss = 0, WarmupSteps = 0 } },
                Algorithm = s.Algorithm with { Steps = 1, GroupSize = 2, WarmupSteps = 0, GroupFilter = false },
                Sandbox = s.Sandbox with { Replicas = 1, WarmPerReplica = 2 },
                Checkpoint = s.Checkpoint with { EverySteps = 1 },
            },
        };
        return Manifests.ToYaml(shortened);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Each_example_runs_to_completion_and_writes_its_report(string file)
    {
        var run = Manifests.LoadTrainingRun(RepoPaths.Of("examples", file));
        var manifest = _dir.File(file, Shortened(file));
        var runDir = Path.Combine(_dir.Path, "run");

        // 32-47 s each at load 9-14; a box loaded to 30 by other builds took over 2 minutes.
        var (code, stdout, stderr) = await ManifestValidationTests.Agentops(TimeSpan.FromMinutes(8), "run", manifest, "--run-dir", runDir, "--eval-tasks", "2");

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var report = File.ReadAllText(Path.Combine(runDir, "report.html"));
        foreach (var row in new[] { "untrained", "after SFT", "after RL" }) Assert.Contains($"<td>{row}</td>", report);
        var summary = JsonDocument.Parse(File.ReadAllText(AgentOps.Operator.Report.RunFolderReport.SummaryPath(runDir))).RootElement;
        Assert.Empty(summary.GetProperty("notes").EnumerateArray());
        Assert.Equal(3, summary.GetProperty("evaluations").GetArrayLength());
        // Held-out rows ran the manifest's own eval seed, on held-out tasks only.
        var results = File.ReadLines(Path.Combine(runDir, "eval", "eval-rl.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.StartsWith($"{run.Spec.Environment.Name}-eval{run.Spec.Environment.Eval.Seed}-", r.GetProperty("task_id").GetString()));
        if (run.Spec.Export.SftJsonl)
        {
            Assert.True(File.Exists(Path.Combine(runDir, "sft.jsonl")), "spec.export.sftJsonl: true writes RUN_DIR/sft.jsonl");
            Assert.Contains("SFT export (spec.export.sftJsonl): ", stdout);
            Assert.All(File.ReadLines(Path.Combine(runDir, "sft.jsonl")), l => Assert.True(JsonDocument.Parse(l).RootElement.GetProperty("reward").GetDouble() >= run.Spec.Export.MinReward));
        }
        else Assert.False(File.Exists(Path.Combine(runDir, "sft.jsonl")));
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>Tests that train through `agentops run` (a trainer, executors, three evaluations each) take turns: run side by
/// side on two cores they starve each other past their time limits.</summary>
[CollectionDefinition(Name)]
public sealed class AgentopsRunCollection
{
    public const string Name = "agentops run";
}
