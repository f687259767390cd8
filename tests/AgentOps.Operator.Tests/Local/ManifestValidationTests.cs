using AgentOps.Operator.Local;
using System.Diagnostics;

namespace AgentOps.Operator.Tests.Local;

// `agentops run` on bad manifests, through the real CLI binary: exit code 2 and one line per error naming
// the field path and the value seen, from the shared validator (AgentOps.Protos.Api). Nothing is started.
public sealed class ManifestValidationTests : IDisposable
{
    private readonly TempDir _dir = new();

    private const string Valid = """
        apiVersion: agentops.dev/v1alpha1
        kind: TrainingRun
        metadata: { name: t, namespace: default }
        spec:
          environment: { name: arithmetic, seed: 1, eval: { tasks: 10, seed: 100000 } }
          algorithm: { name: grpo, steps: 2, groupSize: 4, warmupSteps: 0 }
          sandbox: { runtime: process, replicas: 1 }
        """;

    internal static Task<(int Code, string Out, string Err)> Agentops(params string[] args) => Agentops(TimeSpan.FromSeconds(120), args);

    internal static async Task<(int Code, string Out, string Err)> Agentops(TimeSpan limit, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "agentops.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); throw; }
        return (p.ExitCode, await stdout, await stderr);
    }

    private async Task<(int Code, string Err)> RunWith(string from, string to)
    {
        Assert.Contains(from, Valid);
        var file = _dir.File("run.yaml", Valid.Replace(from, to));
        var (code, _, err) = await Agentops("run", file, "--run-dir", Path.Combine(_dir.Path, "run"));
        return (code, err);
    }

    [Fact]
    public async Task Missing_environment_name_is_exit_2_with_the_field_path()
    {
        var (code, err) = await RunWith("name: arithmetic, ", "");
        Assert.Equal(2, code);
        Assert.Equal(["  spec.environment.name: required field is missing"], ErrorLines(err));
    }

    [Fact]
    public async Task Wrong_type_is_exit_2_with_the_value_seen()
    {
        var (code, err) = await RunWith("replicas: 1", "replicas: two");
        Assert.Equal(2, code);
        Assert.Equal(["  spec.sandbox.replicas: expected an integer, got \"two\""], ErrorLines(err));
    }

    [Fact]
    public async Task Out_of_range_is_exit_2_with_the_bounds_and_the_value()
    {
        var (code, err) = await RunWith("groupSize: 4", "groupSize: 1");
        Assert.Equal(2, code);
        Assert.Equal(["  spec.algorithm.groupSize: must be between 2 and 64, got 1"], ErrorLines(err));
    }

    [Fact]
    public async Task Zero_replicas_is_valid_on_Kubernetes_but_not_for_a_local_run()
    {
        var (code, err) = await RunWith("replicas: 1", "replicas: 0");
        Assert.Equal(2, code);
        Assert.Equal(["  spec.sandbox.replicas: must be at least 1 for agentops run, got 0"], ErrorLines(err));
    }

    [Fact]
    public async Task Every_error_is_reported_not_only_the_first()
    {
        var (code, err) = await RunWith("groupSize: 4, warmupSteps: 0", "groupSize: 99, warmupSteps: 5");
        Assert.Equal(2, code);
        Assert.Equal(["  spec.algorithm.groupSize: must be between 2 and 64, got 99", "  spec.algorithm.warmupSteps: must be at most spec.algorithm.steps (2), got 5"], ErrorLines(err));
    }

    private static string[] ErrorLines(string stderr) =>
        stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("  ", StringComparison.Ordinal)).ToArray();

    [Fact]
    public async Task Unknown_environment_is_exit_2_listing_the_known_ones()
    {
        var (code, err) = await RunWith("name: arithmetic", "name: chess");
        Assert.Equal(2, code);
        Assert.Equal(["  spec.environment.name: unknown environment \"chess\" (known: arithmetic, countdown, tools, multihop-qa, cat)"], ErrorLines(err));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "run")), "nothing is started for an invalid manifest");
    }

    [Fact]
    public async Task A_setting_its_environment_does_not_read_is_exit_2_naming_its_path()
    {
        var (code, err) = await RunWith("name: arithmetic, ", "name: arithmetic, settings: { minOps: \"2\", maxOp: \"3\" }, ");
        Assert.Equal(2, code);
        Assert.Equal(["  spec.environment.settings.maxOp: unknown setting for environment \"arithmetic\" (did you mean \"maxOps\"?); " +
            "its settings: minOps, maxOps, sftMinOps, sftMaxOps, evalMinOps, evalMaxOps, maxOperand"], ErrorLines(err));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "run")), "nothing is started for an invalid manifest");
    }

    [Fact]
    public async Task Held_out_tasks_the_settings_cannot_supply_are_exit_2_before_anything_starts()
    {
        // One operation on operands 2..10 leaves about 30 held-out expressions; the manifest asks for 10, the flag for 100.
        var file = _dir.File("run.yaml", Valid.Replace("name: arithmetic, ", "name: arithmetic, settings: { minOps: \"1\", maxOps: \"1\", maxOperand: \"10\" }, "));
        var (code, _, err) = await Agentops("run", file, "--run-dir", Path.Combine(_dir.Path, "run"), "--eval-tasks", "100");
        Assert.Equal(2, code);
        Assert.Contains("spec.environment.eval.tasks: 100 distinct held-out tasks wanted, but arithmetic with settings (maxOperand=10, maxOps=1, minOps=1) gave only ", err);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "run")), "nothing is started for an invalid manifest");
        var bad = _dir.File("bad.yaml", Valid.Replace("name: arithmetic, ", "name: arithmetic, settings: { maxOperand: \"5\" }, "));
        (code, _, err) = await Agentops("run", bad, "--run-dir", Path.Combine(_dir.Path, "run"));
        Assert.Equal(2, code);
        Assert.Contains("spec.environment.settings.maxOperand: must be at least 10, got 5", err);
    }

    [Fact]
    public async Task Resume_without_a_checkpoint_is_exit_2_naming_the_missing_folder()
    {
        var file = _dir.File("run.yaml", Valid);
        var runDir = Path.Combine(_dir.Path, "run");
        var (code, _, err) = await Agentops("run", file, "--run-dir", runDir, "--resume");
        Assert.Equal(2, code);
        Assert.Contains($"--resume: no checkpoint to resume from, got {runDir}/checkpoints/latest (missing)", err);
    }

    public void Dispose() => _dir.Dispose();
}

public sealed class TextOnlyTwinTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public void The_twin_answers_in_text_with_the_same_SFT_budget_and_no_RL()
    {
        var file = _dir.File("run.yaml", """
            apiVersion: agentops.dev/v1alpha1
            kind: TrainingRun
            metadata: { name: arith, namespace: default }
            spec:
              environment: { name: arithmetic, seed: 3, interpreter: true, settings: { maxOps: "3" }, eval: { tasks: 10, seed: 100000 } }
              policy: { preset: tiny, sft: { enabled: true, steps: 40, batchSize: 8, demonstrations: 64 } }
              algorithm: { name: grpo, steps: 20, groupSize: 4 }
              sandbox: { runtime: process, replicas: 2 }
              export: { sftJsonl: true }
            """);
        var manifest = ManifestLoader.Load(file);

        var twin = ManifestLoader.TextOnlyTwin(manifest);

        Assert.Equal("arith-text-only", twin.Name);
        Assert.False(twin.Interpreter);
        Assert.Equal(0, twin.RlSteps);
        Assert.Equal(40, twin.SftSteps);
        Assert.False(twin.ExportSftJsonl);
        Assert.Equal(2, twin.Replicas);
        // The twin's text is what its processes read: it parses and validates with everything else kept.
        var run = AgentOps.Protos.Api.Manifests.ParseTrainingRun(twin.Text).GetValueOrThrow("twin");
        Assert.Equal(64, run.Spec.Policy.Sft.Demonstrations);
        Assert.Equal(8, run.Spec.Policy.Sft.BatchSize);
        Assert.Equal(3, run.Spec.Environment.Seed);
        Assert.Equal("3", run.Spec.Environment.Settings["maxOps"]);
        Assert.Equal(100000, run.Spec.Environment.Eval.Seed);
    }

    [Fact]
    public void A_twin_of_a_run_whose_target_loss_ended_SFT_early_gets_the_steps_it_took_and_no_target()
    {
        var file = _dir.File("run.yaml", """
            apiVersion: agentops.dev/v1alpha1
            kind: TrainingRun
            metadata: { name: arith, namespace: default }
            spec:
              environment: { name: arithmetic, seed: 3, eval: { tasks: 10, seed: 100000 } }
              policy: { preset: tiny, sft: { enabled: true, steps: 400, targetLoss: 0.1 } }
              algorithm: { name: grpo, steps: 20, groupSize: 4 }
              sandbox: { runtime: process, replicas: 2 }
            """);
        var manifest = ManifestLoader.Load(file);
        Assert.Equal(0.1, manifest.SftTargetLoss);

        var twin = ManifestLoader.TextOnlyTwin(manifest, sftSteps: 317);

        Assert.Equal(317, twin.SftSteps);
        Assert.Equal(0, twin.SftTargetLoss);
        Assert.Equal(0, AgentOps.Protos.Api.Manifests.ParseTrainingRun(twin.Text).GetValueOrThrow("twin").Spec.Policy.Sft.TargetLoss);
    }

    public void Dispose() => _dir.Dispose();
}
