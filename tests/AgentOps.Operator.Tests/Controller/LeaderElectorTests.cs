using AgentOps.Operator.Controller;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Tests.Kube;
using AgentOps.Testing;
using AgentOps.Testing.Kube;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Operator.Tests.Controller;

/// <summary>Lease leader election against the real API server: failover after a crash (fake clock), after a shutdown, unique identities.</summary>
public class LeaderElectorTests
{
    [Fact]
    public async Task WhenTheLeaderStopsRenewing_TheOtherTakesOverAfterTheLeaseExpires()
    {
        using var client = await RealCluster.AdminAsync();
        var ns = await RealCluster.NamespaceAsync("lease");
        var clock = new ManualTimeProvider();
        using var metricsA = new OperatorMetrics();
        var log = new ListLogger();
        // A crash, not a shutdown: nobody releases the Lease.
        LeaderElector Elector(string id, OperatorMetrics? m = null) => new(client,
            new LeaderElectionOptions { LeaseName = "agentops-operator", LeaseNamespace = ns, Identity = id, ReleaseOnCancel = false }, clock, new Random(id.Length), m, log);
        var a = Elector("replica-a", metricsA);
        var b = Elector("replica-b");

        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var aLeading = new TaskCompletionSource();
        var bLeading = new TaskCompletionSource();
        var runA = a.RunAsync(async ct => { aLeading.TrySetResult(); await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }); }, stopA.Token);
        await aLeading.Task.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(t => Assert.True(t.IsCompletedSuccessfully, string.Join("\n", log.Entries.Select(e => e.Message))));
        var runB = b.RunAsync(async ct => { bLeading.TrySetResult(); await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }); }, stopB.Token);

        // While A renews every 2 s, B never gets the lease.
        await AdvanceAsync(clock, TimeSpan.FromSeconds(30));
        Assert.True(a.IsLeader);
        Assert.False(bLeading.Task.IsCompleted);
        var lease = await client.GetAsync(ResourceType.Lease, ns, "agentops-operator", default);
        Assert.Equal("replica-a", (string?)lease!["spec"]!["holderIdentity"]);
        Assert.Equal(15, (int?)lease["spec"]!["leaseDurationSeconds"]);

        // A dies without releasing.
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
        lease = await client.GetAsync(ResourceType.Lease, ns, "agentops-operator", default);
        Assert.Equal("replica-b", (string?)lease!["spec"]!["holderIdentity"]);
        Assert.Equal(1, (int?)lease["spec"]!["leaseTransitions"]);
        await stopB.CancelAsync();
        try { await runB; } catch (OperationCanceledException) { }
    }

    [Fact]
    public async Task A_leader_that_is_shut_down_releases_the_Lease_and_the_standby_leads_within_a_retry_period()
    {
        using var client = await RealCluster.AdminAsync();
        var ns = await RealCluster.NamespaceAsync("lease");
        LeaderElector Elector(string id) => new(client, new LeaderElectionOptions { LeaseName = "agentops-operator", LeaseNamespace = ns, Identity = id },
            TimeProvider.System, new Random(id.Length), null, NullLogger.Instance);
        var a = Elector("pod-a");
        var b = Elector("pod-b");
        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var aLeading = new TaskCompletionSource();
        var bLeading = new TaskCompletionSource();
        var runA = a.RunAsync(async ct => { aLeading.TrySetResult(); await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }); }, stopA.Token);
        await aLeading.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var runB = b.RunAsync(async ct => { bLeading.TrySetResult(); await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }); }, stopB.Token);
        await Task.Delay(3000);
        Assert.False(bLeading.Task.IsCompleted);

        // SIGTERM: A stops its controllers and empties the Lease; B, retrying every 2-4.4 s, takes it at its next try
        // instead of after the 15 s lease duration.
        var stopped = System.Diagnostics.Stopwatch.StartNew();
        await stopA.CancelAsync();
        await runA;
        var released = await client.GetAsync(ResourceType.Lease, ns, "agentops-operator", default);
        Assert.Equal("", (string?)released!["spec"]!["holderIdentity"] ?? "");
        await bLeading.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(6), $"failover took {stopped.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal("pod-b", (string?)(await client.GetAsync(ResourceType.Lease, ns, "agentops-operator", default))!["spec"]!["holderIdentity"]);
        await stopB.CancelAsync();
        await runB;
    }

    [Fact]
    public async Task Two_operators_on_one_host_get_different_identities_and_only_one_leads()
    {
        Assert.Null(Environment.GetEnvironmentVariable("POD_NAME"));
        var (idA, idB) = (LeaderIdentity.Default(), LeaderIdentity.Default());
        Assert.NotEqual(idA, idB);
        Assert.StartsWith(Environment.MachineName + "_", idA);

        using var client = await RealCluster.AdminAsync();
        var ns = await RealCluster.NamespaceAsync("lease");
        using var stop = new CancellationTokenSource();
        var leading = 0;
        var electors = new[] { idA, idB }.Select((id, i) => new LeaderElector(client,
            new LeaderElectionOptions { LeaseName = "agentops-operator", LeaseNamespace = ns, Identity = id }, TimeProvider.System, new Random(i), null, NullLogger.Instance)).ToList();
        var runs = electors.Select(e => e.RunAsync(async ct => { Interlocked.Increment(ref leading); await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }); }, stop.Token)).ToList();
        await Task.Delay(6000);
        Assert.Equal(1, Volatile.Read(ref leading));
        Assert.Equal(1, electors.Count(e => e.IsLeader));
        await stop.CancelAsync();
        foreach (var run in runs)
            try { await run; } catch (OperationCanceledException) { } // the standby was still campaigning
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
