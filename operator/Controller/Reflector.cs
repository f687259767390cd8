using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;
using Microsoft.Extensions.Logging;

namespace AgentOps.Operator.Controller;

/// <summary>
/// client-go Reflector + Informer: list, replace the cache, then watch from the list's resourceVersion with
/// bookmarks; follow bookmarks; on 410 Gone (HTTP status or an ERROR event with reason Expired/Gone) relist;
/// when the server ends a watch (timeoutSeconds, randomised 5–10 min like client-go's minWatchTimeout) watch
/// again from the last seen resourceVersion; on errors back off (800 ms doubling to 30 s, client-go's
/// reflector backoff) and retry. Each change calls <see cref="OnChange"/> with the object's key; handlers only
/// enqueue — reconciling happens in workers, never inside the watch callback.
/// </summary>
public sealed class Reflector(KubeClient client, ResourceType type, string? ns, string? labelSelector, TimeProvider time, Random random, ILogger logger)
{
    public static readonly TimeSpan MinWatchTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(800);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ObjectCache Cache { get; } = new();
    public ResourceType Type => type;

    /// <summary>Called with (event type, object) for every change seen, including synthetic deletes after a relist.</summary>
    public event Action<string, JsonObject>? OnChange;

    /// <summary>How many times the reflector listed (1 + relists): tests observe relists through it.</summary>
    public int ListCount { get; private set; }

    public Task Synced => _synced.Task;

    /// <summary>Watch timeout for one watch request: client-go uses minWatchTimeout * (1 + rand) = 5..10 min.</summary>
    public int WatchTimeoutSeconds() => (int)(MinWatchTimeout.TotalSeconds * (1 + random.NextDouble()));

    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = InitialBackoff;
        string? resourceVersion = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                resourceVersion ??= await ListAndReplaceAsync(ct);
                backoff = InitialBackoff;
                resourceVersion = await WatchAsync(resourceVersion, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (KubeApiException e) when (e.IsGone)
            {
                Log.WatchExpired(logger, type.Kind, resourceVersion ?? "", e.Reason);
                resourceVersion = null;
            }
            catch (Exception e)
            {
                Log.WatchFailed(logger, e, type.Kind, backoff);
                try { await Task.Delay(backoff, time, ct); } catch (OperationCanceledException) { return; }
                // client-go wait.Backoff with jitter 1.0: the next delay is between 1x and 2x, doubling to the cap.
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, (long)(backoff.Ticks * 2 * (0.5 + random.NextDouble() / 2))));
                if (backoff < InitialBackoff) backoff = InitialBackoff;
            }
        }
    }

    private async Task<string> ListAndReplaceAsync(CancellationToken ct)
    {
        var list = await client.ListAsync(type, ns, ct, labelSelector);
        ListCount++;
        var (added, updated, deleted) = Cache.Replace(list.Items);
        Log.Listed(logger, type.Kind, list.Items.Count, list.ResourceVersion);
        // client-go DeltaFIFO.Replace: objects missing from the new list are delivered as deletes (DeletedFinalStateUnknown).
        foreach (var o in deleted) OnChange?.Invoke(WatchEvent.Deleted, o);
        foreach (var o in added) OnChange?.Invoke(WatchEvent.Added, o);
        foreach (var o in updated) OnChange?.Invoke(WatchEvent.Modified, o);
        _synced.TrySetResult();
        return list.ResourceVersion;
    }

    /// <summary>One watch request; returns the last resourceVersion seen when the server closes the stream.</summary>
    private async Task<string> WatchAsync(string resourceVersion, CancellationToken ct)
    {
        await foreach (var ev in client.WatchAsync(type, ns, resourceVersion, WatchTimeoutSeconds(), ct, labelSelector))
        {
            switch (ev.Type)
            {
                case WatchEvent.Error:
                    var code = (int?)ev.Object["code"] ?? 0;
                    var reason = (string?)ev.Object["reason"] ?? "";
                    var message = (string?)ev.Object["message"] ?? "";
                    throw new KubeApiException(code == 0 ? System.Net.HttpStatusCode.InternalServerError : (System.Net.HttpStatusCode)code,
                        reason, message, $"WATCH {type.Plural} from {resourceVersion}");
                case WatchEvent.Bookmark:
                    resourceVersion = ev.Object.ResourceVersion();
                    break;
                case WatchEvent.Added or WatchEvent.Modified:
                    ev.Object["kind"] ??= type.Kind;
                    ev.Object["apiVersion"] ??= type.ApiVersion;
                    Cache.Upsert(ev.Object);
                    resourceVersion = ev.Object.ResourceVersion();
                    OnChange?.Invoke(ev.Type, ev.Object);
                    break;
                case WatchEvent.Deleted:
                    Cache.Remove(ev.Object.Key());
                    resourceVersion = ev.Object.ResourceVersion();
                    OnChange?.Invoke(ev.Type, ev.Object);
                    break;
            }
        }
        return resourceVersion;
    }
}
