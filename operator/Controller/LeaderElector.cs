using System.Globalization;
using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;
using Microsoft.Extensions.Logging;

namespace AgentOps.Operator.Controller;

/// <summary>client-go leaderelection.LeaderElectionConfig defaults: 15 s lease, 10 s renew deadline, 2 s retry.</summary>
public sealed record LeaderElectionOptions
{
    public required string LeaseName { get; init; }
    public required string LeaseNamespace { get; init; }
    public required string Identity { get; init; }
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// client-go leaderelection with a coordination.k8s.io/v1 Lease: try to acquire every RetryPeriod (jittered
/// by 1.2 like wait.JitterUntil); a lease held by another is respected until LeaseDuration has passed since
/// this replica last saw it change (client-go's observedTime, the local clock — not the holder's renewTime);
/// the leader renews every RetryPeriod and gives up when it could not renew within RenewDeadline. Writes are
/// PUTs with resourceVersion, so two candidates racing get a 409 and only one wins.
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
        while (!await TryAcquireOrRenewAsync(ct))
            await Task.Delay(Jitter(options.RetryPeriod), time, ct);
        SetLeader(true);
        Log.BecameLeader(logger, options.Identity, options.LeaseName);

        using var leading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var work = Task.Run(() => lead(leading.Token), CancellationToken.None);
        var reason = "cancelled";
        try
        {
            var lastRenew = time.GetUtcNow();
            while (!ct.IsCancellationRequested && !work.IsCompleted)
            {
                await Task.Delay(options.RetryPeriod, time, ct);
                bool renewed;
                try { renewed = await TryAcquireOrRenewAsync(ct); }
                catch (Exception e) when (e is not OperationCanceledException) { renewed = false; }
                if (renewed) { lastRenew = time.GetUtcNow(); continue; }
                if (time.GetUtcNow() - lastRenew >= options.RenewDeadline)
                {
                    reason = $"could not renew within the {options.RenewDeadline.TotalSeconds:0} s renew deadline";
                    break;
                }
            }
            if (work.IsCompleted) reason = "leader work ended";
        }
        catch (OperationCanceledException) { }
        finally
        {
            SetLeader(false);
            Log.LostLeadership(logger, options.Identity, options.LeaseName, reason);
            await leading.CancelAsync();
            try { await work; } catch (OperationCanceledException) { }
        }
    }

    private void SetLeader(bool leader)
    {
        IsLeader = leader;
        metrics?.SetLeader(leader);
    }

    private TimeSpan Jitter(TimeSpan d) => d + TimeSpan.FromTicks((long)(d.Ticks * 1.2 * random.NextDouble()));

    /// <summary>client-go tryAcquireOrRenew.</summary>
    internal async Task<bool> TryAcquireOrRenewAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var lease = await client.GetAsync(ResourceType.Lease, options.LeaseNamespace, options.LeaseName, ct);
        if (lease is null)
        {
            var fresh = new JsonObject
            {
                ["apiVersion"] = "coordination.k8s.io/v1",
                ["kind"] = "Lease",
                ["metadata"] = new JsonObject { ["name"] = options.LeaseName, ["namespace"] = options.LeaseNamespace },
                ["spec"] = Spec(now, acquireTime: now, transitions: 0),
            };
            try { await client.CreateAsync(ResourceType.Lease, fresh, ct); }
            catch (KubeApiException e) when (e.IsConflict) { return false; }
            Observe(fresh, now);
            return true;
        }

        var spec = lease["spec"] as JsonObject ?? [];
        var holder = (string?)spec["holderIdentity"] ?? "";
        var record = spec.ToJsonString();
        if (record != _observedRecord) Observe(lease, now);
        var leaseSeconds = (int?)spec["leaseDurationSeconds"] ?? (int)options.LeaseDuration.TotalSeconds;
        if (holder.Length > 0 && holder != options.Identity && _observedTime + TimeSpan.FromSeconds(leaseSeconds) > now)
        {
            Log.LeaseHeld(logger, options.LeaseName, holder);
            return false;
        }

        var transitions = (int?)spec["leaseTransitions"] ?? 0;
        var weHeld = holder == options.Identity;
        var acquireTime = weHeld && spec["acquireTime"] is JsonNode at ? DateTimeOffset.Parse((string)at!, CultureInfo.InvariantCulture) : now;
        lease["spec"] = Spec(now, acquireTime, weHeld ? transitions : transitions + 1);
        try { lease = await client.ReplaceAsync(ResourceType.Lease, lease, ct); }
        catch (KubeApiException e) when (e.IsConflict) { return false; }
        Observe(lease, now);
        return true;
    }

    private void Observe(JsonObject lease, DateTimeOffset now)
    {
        _observedRecord = (lease["spec"] as JsonObject)?.ToJsonString();
        _observedTime = now;
    }

    private JsonObject Spec(DateTimeOffset now, DateTimeOffset acquireTime, int transitions) => new()
    {
        ["holderIdentity"] = options.Identity,
        ["leaseDurationSeconds"] = (int)options.LeaseDuration.TotalSeconds,
        ["acquireTime"] = MicroTime(acquireTime),
        ["renewTime"] = MicroTime(now),
        ["leaseTransitions"] = transitions,
    };

    private static string MicroTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
