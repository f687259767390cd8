using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Reconcile;

namespace AgentOps.Operator.Tests.Reconcile;

/// <summary>Issue 20, bug 2, against the real API server: requeue timers merge per key and /status is read once per interval.</summary>
public class RequeueTests
{
    [Fact]
    public async Task Editing_a_running_run_does_not_multiply_its_requeues_or_its_status_polls()
    {
        var interval = TimeSpan.FromSeconds(1);
        await using var h = await OperatorHarness.StartAsync(new HarnessOptions { Reconcile = new ReconcileOptions { ProgressPollInterval = interval } }, "requeue");
        h.Trainers.Set(h.Ns, "steady", """{"phase":"rl","step":3,"totalSteps":100,"policyVersion":3,"meanReward":0.5,"successRate":0.5,"trajectoriesIngested":64,"tokensPerSecond":1,"trajectoriesPerSecond":1}""");
        await h.CreateRunAsync(h.RunYaml("steady"));
        await h.WaitForAsync(ResourceType.TrainingRun, "steady", o => (string?)o["status"]?["phase"] == "Running" && (long?)o["status"]?["step"] == 3);
        await h.WaitQuietAsync();

        var (baseline, basePolls) = await WindowAsync(h, TimeSpan.FromSeconds(6));
        // Ten edits of the run: each is a watch event and a reconcile, and each reconcile asks to be requeued.
        for (var i = 0; i < 10; i++)
            await h.Client.MergePatchAsync(ResourceType.TrainingRun, h.Ns, "steady",
                new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["touch"] = $"{i}" } } }, default);
        await Task.Delay(3000);
        var (after, afterPolls) = await WindowAsync(h, TimeSpan.FromSeconds(6));

        // One timer per key: ~1 reconcile and ~1 poll per second before and after (before the fix: 11 timers, 11x).
        Assert.InRange(baseline, 2, 9);
        Assert.True(after <= baseline + 3, $"reconciles in 6 s: {baseline} before ten edits, {after} after");
        Assert.True(basePolls <= 8 && afterPolls <= 8, $"/status polls in 6 s: {basePolls} before, {afterPolls} after (interval 1 s)");
    }

    private static async Task<(long Reconciles, int Polls)> WindowAsync(OperatorHarness h, TimeSpan window)
    {
        var (r, p) = (h.RunReconciles, h.Trainers.Requests(h.Ns, "steady"));
        await Task.Delay(window);
        return (h.RunReconciles - r, h.Trainers.Requests(h.Ns, "steady") - p);
    }
}
