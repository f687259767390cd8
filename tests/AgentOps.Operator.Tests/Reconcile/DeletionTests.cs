using AgentOps.Operator.Kube;
using AgentOps.Operator.Reconcile;

namespace AgentOps.Operator.Tests.Reconcile;

/// <summary>Issue 20, bug 6: deleting a run whose Redis is unreachable, and its Redis volume, on the real API server and controller-manager.</summary>
public class DeletionTests
{
    [Fact]
    public async Task Deleting_a_run_whose_Redis_is_unreachable_ends_after_the_cleanup_timeout_and_takes_the_Redis_volume()
    {
        await using var h = await OperatorHarness.StartAsync(new HarnessOptions
        {
            Reconcile = new ReconcileOptions
            {
                ProgressPollInterval = TimeSpan.FromMilliseconds(500),
                StreamCleanupTimeout = TimeSpan.FromSeconds(5),
                StreamCleanupAttemptTimeout = TimeSpan.FromSeconds(2),
            },
        }, "del");
        await h.CreateRunAsync(h.RunYaml("doomed"));
        await h.WaitForAsync(ResourceType.TrainingRun, "doomed", o => (string?)o["status"]?["phase"] == "Running");
        // The StatefulSet controller made the Redis pod's claim; it belongs to the StatefulSet (retention policy Delete).
        var claim = await h.WaitForAsync(ResourceType.PersistentVolumeClaim, "data-doomed-redis-0", _ => true);
        Assert.Equal("StatefulSet", (string?)claim.Metadata()["ownerReferences"]?[0]?["kind"]);

        // The run's own Redis "is ready" (its pod was marked so) but nothing answers at doomed-redis.NS.svc.
        await h.Client.DeleteAsync(ResourceType.TrainingRun, h.Ns, "doomed", PropagationPolicy.Background, default);
        await OperatorHarness.WaitUntilAsync(async () => await h.GetAsync(ResourceType.TrainingRun, "doomed") is null, "run deleted", 60);
        Assert.Contains(await h.EventsAsync(), e => e.Reason == "StreamNotDeleted" && e.Type == "Warning" && e.Note.Contains("agentops:doomed:trajectories"));
        await OperatorHarness.WaitUntilAsync(async () => await h.GetAsync(ResourceType.PersistentVolumeClaim, "data-doomed-redis-0") is null, "Redis PVC deleted", 90);
    }
}
