using System.Net;
using AgentOps.Operator.Kube;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace AgentOps.Operator.Controller;

/// <summary>client-go leaderelection.LeaderElectionConfig defaults: 15 s lease, 10 s renew deadline, 2 s retry; ReleaseOnCancel on.</summary>
public sealed record LeaderElectionOptions
{
    public required string LeaseName { get; init; }
    public required string LeaseNamespace { get; init; }
    /// <summary>Unique per process (client-go: two candidates with one identity both believe they lead). See <see cref="LeaderIdentity"/>.</summary>
    public required string Identity { get; init; }
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>client-go ReleaseOnCancel: on shutdown the leader empties the Lease so a standby takes over within a retry period.</summary>
    public bool ReleaseOnCancel { get; init; } = true;
}

/// <summary>
/// client-go leaderelection over a typed coordination.k8s.io/v1 Lease (KubernetesClient's models). KubernetesClient has a
/// LeaderElector too, but it has no ReleaseOnCancel and reads the wall clock (no TimeProvider), so failover after a
/// SIGTERM took the whole lease duration (~19 s measured, issue 20). Semantics: try to acquire every RetryPeriod
/// (jittered by 1.2 like wait.JitterUntil); a lease held by another is respected until LeaseDuration has passed since
/// this replica last saw it change (client-go's observedTime, the local clock — not the holder's renewTime); an empty
/// holder is free at once; the leader renews every RetryPeriod and gives up when it could not renew within
/// RenewDeadline; on cancellation it releases (holder "", leaseDurationSeconds 1). Writes are PUTs with
/// resourceVersion, so two candidates racing get a 409 and only one wins.
/// </summary>
public sealed class LeaderElector(KubeClient client, LeaderElectionOptions options, TimeProvider time, Random random,
    OperatorMetrics? metrics, ILogger logger)
{
    private string? _observedRecord;
    private DateTimeOffset _observedTime;

    public bool IsLeader { get; private set; }

    /// <summary>
    /// Campaigns until leading, runs <paramref name="lead"/> with a token cancelled when leadership is lost,
    /// and returns after losing it (client-go: the process should then exit so a fresh one campaigns).
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> lead, CancellationToken ct)
    {
        while (!await TryAcquireOrRenewSafeAsync(ct))
            await Task.Delay(Jitter(options.RetryPeriod), time, ct);
        SetLeader(true);
        Log.BecameLeader(logger, options.Identity, options.LeaseName);

        using var leading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var work = Task.Run(() => lead(leading.Token), CancellationToken.None);
        var reason = "cancelled";
        var lost = false;
        try
        {
            var lastRenew = time.GetUtcNow();
            while (!ct.IsCancellationRequested && !work.IsCompleted)
            {
                await Task.Delay(options.RetryPeriod, time, ct);
                if (await TryAcquireOrRenewSafeAsync(ct)) { lastRenew = time.GetUtcNow(); continue; }
                if (time.GetUtcNow() - lastRenew >= options.RenewDeadline)
                {
                    reason = $"could not renew within the {options.RenewDeadline.TotalSeconds:0} s renew deadline";
                    lost = true;
                    break;
                }
            }
            if (work.IsCompleted && !ct.IsCancellationRequested) reason = "leader work ended";
        }
        catch (OperationCanceledException) { }
        finally
        {
            SetLeader(false);
            await leading.CancelAsync();
            try { await work; } catch (OperationCanceledException) { }
            // Release only after our controllers stopped, so two leaders never run at once.
            if (options.ReleaseOnCancel && !lost) await ReleaseAsync();
            Log.LostLeadership(logger, options.Identity, options.LeaseName, reason);
        }
    }

    private void SetLeader(bool leader)
    {
        IsLeader = leader;
        metrics?.SetLeader(leader);
    }

    private TimeSpan Jitter(TimeSpan d) => d + TimeSpan.FromTicks((long)(d.Ticks * 1.2 * random.NextDouble()));

    private async Task<bool> TryAcquireOrRenewSafeAsync(CancellationToken ct)
    {
        try { return await TryAcquireOrRenewAsync(ct); }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or KubeApiException)
        {
            Log.LeaseError(logger, options.LeaseName, e.Message);
            return false;
        }
    }

    /// <summary>client-go tryAcquireOrRenew.</summary>
    internal async Task<bool> TryAcquireOrRenewAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var lease = await ReadAsync(ct);
        if (lease is null)
        {
            var fresh = new V1Lease
            {
                Metadata = new V1ObjectMeta { Name = options.LeaseName, NamespaceProperty = options.LeaseNamespace },
                Spec = Spec(now, acquireTime: now, transitions: 0),
            };
            try { fresh = await client.Api.CoordinationV1.CreateNamespacedLeaseAsync(fresh, options.LeaseNamespace, cancellationToken: ct); }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict) { return false; }
            Observe(fresh, now);
            return true;
        }

        var spec = lease.Spec ?? new V1LeaseSpec();
        var holder = spec.HolderIdentity ?? "";
        if (KubernetesJson.Serialize(spec) != _observedRecord) Observe(lease, now);
        var leaseSeconds = spec.LeaseDurationSeconds ?? (int)options.LeaseDuration.TotalSeconds;
        if (holder.Length > 0 && holder != options.Identity && _observedTime + TimeSpan.FromSeconds(leaseSeconds) > now)
        {
            Log.LeaseHeld(logger, options.LeaseName, holder);
            return false;
        }

        var transitions = spec.LeaseTransitions ?? 0;
        var weHeld = holder == options.Identity;
        lease.Spec = Spec(now, weHeld && spec.AcquireTime is { } at ? new DateTimeOffset(at, TimeSpan.Zero) : now, weHeld ? transitions : transitions + 1);
        try { lease = await client.Api.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, options.LeaseName, options.LeaseNamespace, cancellationToken: ct); }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict) { return false; }
        Observe(lease, now);
        return true;
    }

    /// <summary>client-go release(): holder "" and a 1 s duration, keeping acquireTime and transitions, if we still hold it.</summary>
    private async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(options.RenewDeadline);
        try
        {
            var lease = await ReadAsync(timeout.Token);
            if (lease?.Spec?.HolderIdentity != options.Identity) return;
            lease.Spec.HolderIdentity = "";
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = KubeTime.Micro(time.GetUtcNow());
            await client.Api.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, options.LeaseName, options.LeaseNamespace, cancellationToken: timeout.Token);
            Log.LeaseReleased(logger, options.Identity, options.LeaseName);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            Log.LeaseError(logger, options.LeaseName, $"release failed ({e.Message}); a standby takes over when the lease expires");
        }
    }

    private async Task<V1Lease?> ReadAsync(CancellationToken ct)
    {
        try { return await client.Api.CoordinationV1.ReadNamespacedLeaseAsync(options.LeaseName, options.LeaseNamespace, cancellationToken: ct); }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound) { return null; }
    }

    private void Observe(V1Lease lease, DateTimeOffset now)
    {
        _observedRecord = KubernetesJson.Serialize(lease.Spec);
        _observedTime = now;
    }

    private V1LeaseSpec Spec(DateTimeOffset now, DateTimeOffset acquireTime, int transitions) => new()
    {
        HolderIdentity = options.Identity,
        LeaseDurationSeconds = (int)options.LeaseDuration.TotalSeconds,
        AcquireTime = KubeTime.Micro(acquireTime),
        RenewTime = KubeTime.Micro(now),
        LeaseTransitions = transitions,
    };
}

/// <summary>The identity of this operator process in the Lease and in events.</summary>
public static class LeaderIdentity
{
    /// <summary>$POD_NAME (unique per pod), else host name + "_" + a fresh UUID (client-go's recommendation: unique per process).</summary>
    public static string Default() =>
        Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : $"{Environment.MachineName}_{Guid.NewGuid():D}";
}
