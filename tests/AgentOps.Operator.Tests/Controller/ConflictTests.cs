using System.Text.Json.Nodes;
using AgentOps.Operator.Controller;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Tests.Kube;
using AgentOps.Operator.Tests.Reconcile;
using AgentOps.Testing;
using Microsoft.Extensions.Logging;

namespace AgentOps.Operator.Tests.Controller;

/// <summary>Issue 20, bug 9: a real 409 on a status write is requeued quietly (client-go), not logged as a warning with a stack trace.</summary>
public class ConflictTests
{
    private sealed class StaleStatusWriter(KubeClient client, JsonObject stale) : IReconciler
    {
        public int Calls;
        public string Kind => "TrainingRun";

        public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken ct)
        {
            if (Interlocked.Increment(ref Calls) == 1)
            {
                var write = (JsonObject)stale.DeepClone();
                write["status"] = new JsonObject { ["phase"] = "Pending" };
                await client.ReplaceStatusAsync(ResourceType.TrainingRun, write, ct); // 409: the object changed since
            }
            return ReconcileResult.Done;
        }
    }

    [Fact]
    public async Task A_conflict_on_a_status_write_is_requeued_with_a_debug_line_and_no_stack_trace()
    {
        using var client = await RealCluster.AdminAsync();
        var ns = await RealCluster.NamespaceAsync("conflict");
        var stale = await client.CreateAsync(ResourceType.TrainingRun, OperatorHarness.YamlToJson(OperatorHarness.RunYaml("c", "", ns)), default);
        await client.MergePatchAsync(ResourceType.TrainingRun, ns, "c", new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["x"] = "y" } } }, default);

        var log = new ListLogger();
        using var metrics = new OperatorMetrics();
        using var queue = new WorkQueue<ObjectKey>("t", RateLimiters.DefaultController<ObjectKey>(TimeProvider.System), TimeProvider.System);
        var reconciler = new StaleStatusWriter(client, stale);
        using var stop = new CancellationTokenSource();
        var run = new AgentOps.Operator.Controller.Controller(reconciler, queue, metrics, log).RunAsync(1, stop.Token);
        queue.Add(new ObjectKey(ns, "c"));
        await OperatorHarness.WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref reconciler.Calls) >= 2), "requeued after the conflict", 30);
        await stop.CancelAsync();
        queue.ShutDown();
        await run;

        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Warning);
        var line = Assert.Single(log.Entries, e => e.Id.Id == 111);
        Assert.Equal(LogLevel.Debug, line.Level);
        Assert.Null(line.Exception);
        Assert.Contains("the object has been modified", line.Message);
    }
}
