using AgentOps.Operator.Controller;
using AgentOps.Operator.Kube;
using AgentOps.Testing.Kube;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Operator.Tests.Controller;

/// <summary>Lease leader election on a fake clock: failover only after the 15 s lease duration.</summary>
public class LeaderElectorTests
{
    [Fact]
    public async Task WhenTheLeaderStopsRenewing_TheOtherTakesOverAfterTheLeaseExpires()
    {
        await using var server = await FakeKubeApiServer.StartAsync();
        using var client = new KubeClient(new KubeConnection { Server = server.Url });
        var clock = new ManualTimeProvider();
        using var metricsA = new OperatorMetrics();
        LeaderElector Elector(string id, OperatorMetrics? m = null) => new(client,
            new LeaderElectionOptions { LeaseName = "agentops-operator", LeaseNamespace = "agentops", Identity = id }, clock, new Random(id.Length), m, NullLogger.Instance);
        var a = Elector("replica-a", metricsA);
        var b = Elector("replica-b");

        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var aLeading = new TaskCompletionSource();
        var bLeading = new TaskCompletionSource();
        var runA = a.RunAsync(async ct => { aLeading.TrySetResult(); await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }); }, stopA.Token);
        await aLeading.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var runB = b.RunAsync(async ct => { bLeading.TrySetResult(); await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }); }, stopB.Token);

        // While A renews every 2 s, B never gets the lease.
        await AdvanceAsync(clock, TimeSpan.FromSeconds(30));
        Assert.True(a.IsLeader);
        Assert.False(bLeading.Task.IsCompleted);
        var lease = await client.GetAsync(ResourceType.Lease, "agentops", "agentops-operator", default);
        Assert.Equal("replica-a", (string?)lease!["spec"]!["holderIdentity"]);
        Assert.Equal(15, (int?)lease["spec"]!["leaseDurationSeconds"]);

        // A dies without releasing (client-go default ReleaseOnCancel=false).
        await stopA.CancelAsync();
        try { await runA; } catch (OperationCanceledException) { }
        Assert.False(a.IsLeader);

        // Less than the lease duration later B still waits; after it, B takes over. B counts the 15 s from when it saw A's
        // last renewal, and B's tries are 2-4.4 s apart (RetryPeriod jittered by 1.2), so it may take 15 + 2 x 4.4 = 23.8 s
        // after that renewal: 20 s in all was short when the jitter drew high (a clean-clone CI run failed here).
        await AdvanceAsync(clock, TimeSpan.FromSeconds(10));
        Assert.False(bLeading.Task.IsCompleted);
        await AdvanceAsync(clock, TimeSpan.FromSeconds(20), until: () => bLeading.Task.IsCompleted);
        Assert.True(b.IsLeader);
        lease = await client.GetAsync(ResourceType.Lease, "agentops", "agentops-operator", default);
        Assert.Equal("replica-b", (string?)lease!["spec"]!["holderIdentity"]);
        Assert.Equal(1, (int?)lease["spec"]!["leaseTransitions"]);
        await stopB.CancelAsync();
        try { await runB; } catch (OperationCanceledException) { }
    }

    /// <summary>Moves the fake clock in 500 ms steps, letting the electors' HTTP calls finish between steps.</summary>
    private static async Task AdvanceAsync(ManualTimeProvider clock, TimeSpan total, Func<bool>? until = null)
    {
        for (var t = TimeSpan.Zero; t < total; t += TimeSpan.FromMilliseconds(500))
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (clock.PendingTimers == 0 && DateTime.UtcNow < deadline) await Task.Delay(5);
            await Task.Delay(30);
            clock.Advance(TimeSpan.FromMilliseconds(500));
            if (until?.Invoke() == true) return;
        }
        if (until is not null)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!until() && DateTime.UtcNow < deadline) await Task.Delay(10);
        }
    }
}
