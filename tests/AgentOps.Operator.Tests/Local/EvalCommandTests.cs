using AgentOps.Operator.Eval;

namespace AgentOps.Operator.Tests.Local;

// `agentops eval` through the real CLI and the real executor (process runtime, real python REPL): held-out
// tasks come from the manifest's eval seed, every episode is counted once, the interval is printed.
public sealed class EvalCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task Reference_policy_is_evaluated_on_held_out_tasks_with_a_Wilson_interval()
    {
        var manifest = _dir.File("run.yaml", """
            apiVersion: agentops.dev/v1alpha1
            kind: TrainingRun
            metadata: { name: evaltest, namespace: default }
            spec:
              environment: { name: arithmetic, seed: 1, eval: { tasks: 50, seed: 4242 } }
              algorithm: { name: grpo, steps: 2, groupSize: 4, warmupSteps: 0 }
              sandbox: { runtime: process, replicas: 1, warmPerReplica: 2 }
            """);
        var work = Path.Combine(_dir.Path, "eval");

        var (code, stdout, stderr) = await ManifestValidationTests.Agentops("eval", manifest, "--reference", "--tasks", "6", "--work-dir", work);

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        var results = Path.Combine(work, "eval-reference.jsonl");
        var rows = EpisodeResult.ReadAll(results);
        Assert.Equal(6, rows.Count);
        Assert.Equal(6, rows.Select(r => r.TaskId).Distinct().Count());
        Assert.All(rows, r => Assert.StartsWith("arithmetic-eval4242-", r.TaskId));
        var successes = rows.Count(r => r.Success);
        var w = WilsonInterval.Of(successes, 6);
        Assert.Contains($"reference      {successes * 100.0 / 6,7:0.0}%  [{w.Low * 100,5:0.0}%, {w.High * 100,5:0.0}%]        {successes}/6", stdout);
        Assert.Contains("runtime process", stdout);
    }

    [Fact]
    public async Task Eval_needs_exactly_one_of_checkpoint_and_reference()
    {
        var manifest = _dir.File("run.yaml", "apiVersion: agentops.dev/v1alpha1\nkind: TrainingRun\nmetadata: { name: e }\nspec: { environment: { name: arithmetic } }\n");
        var (code, _, stderr) = await ManifestValidationTests.Agentops("eval", manifest);
        Assert.Equal(2, code);
        Assert.Contains("error: give exactly one of --checkpoint DIR and --reference", stderr);
    }

    [Fact]
    public async Task Eval_of_a_missing_checkpoint_names_the_folder()
    {
        var manifest = _dir.File("run.yaml", "apiVersion: agentops.dev/v1alpha1\nkind: TrainingRun\nmetadata: { name: e }\nspec: { environment: { name: arithmetic } }\n");
        var missing = Path.Combine(_dir.Path, "nope");
        var (code, _, stderr) = await ManifestValidationTests.Agentops("eval", manifest, "--checkpoint", missing);
        Assert.Equal(1, code);
        Assert.Contains($"error: --checkpoint: no such folder, got {missing}", stderr);
    }

    public void Dispose() => _dir.Dispose();
}
