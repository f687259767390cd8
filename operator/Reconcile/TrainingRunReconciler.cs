using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentOps.Operator.Controller;
using AgentOps.Operator.Kube;
using AgentOps.Protos.Api;

namespace AgentOps.Operator.Reconcile;

/// <summary>
/// TrainingRun → its children and status, level-triggered (STYLE.md rule 6, like JobSet): read the run and
/// its children from the informer caches, validate with the one validator, apply the desired children
/// (server-side apply, ownerReferences), prune what is no longer wanted, compute the status, write it once
/// if it changed, then emit events. Deletion runs the Redis-stream finalizer.
/// </summary>
public sealed class TrainingRunReconciler(ReconcileContext ctx) : IReconciler
{
    public string Kind => ApiConstants.TrainingRunKind;

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken ct)
    {
        var current = ctx.View.Get(ResourceType.TrainingRun, key.Namespace, key.Name);
        if (current is null)
        {
            ctx.ProgressPolls.Forget(key);
            return ReconcileResult.Done; // gone: its children are garbage-collected through ownerReferences
        }

        var parsed = Manifests.ParseTrainingRun(current.ToJsonString(), rejectUnknownFields: false);
        var previous = current["status"] is JsonObject s ? s.Deserialize<TrainingRunStatus>(Manifests.Json) : null;

        if (current.IsDeleting())
        {
            await FinalizeAsync(current, parsed.Value, ct);
            return ReconcileResult.Done;
        }
        if (!current.Finalizers().Contains(Names.StreamFinalizer))
            current = await AddFinalizerAsync(current, ct);

        if (!parsed.IsValid)
        {
            var invalid = TrainingRunStatusComputer.Compute(new TrainingRunObservation
            {
                Generation = current.Generation(), Previous = previous, SpecErrors = parsed.Errors,
            }, ctx.Now());
            if (await StatusWriter.WriteIfChangedAsync(ctx, ResourceType.TrainingRun, current, invalid, ct))
                await ctx.Events.RecordAsync(current, "Warning", "InvalidSpec", "Validate",
                    string.Join("; ", parsed.Errors.Select(e => e.ToString())), ct);
            return ReconcileResult.Done;
        }

        var run = parsed.Value! with { Status = previous };
        await EnsureChildrenAsync(current, run, ct);

        var name = current.Name();
        var ns = current.Namespace();
        var poolName = run.Spec.Sandbox.PoolRef.Length > 0 ? run.Spec.Sandbox.PoolRef : Names.InlinePool(name);
        var trainer = ctx.View.Get(ResourceType.Deployment, ns, Names.Trainer(name));
        var readyTrainer = (int?)trainer?["status"]?["readyReplicas"] > 0;
        // Progress is read at most once per poll interval, not on every reconcile a child's watch event causes.
        var progress = readyTrainer && previous?.Phase is not ("Succeeded" or "Failed") && ctx.ProgressPolls.TryBook(key)
            ? await ctx.Progress.GetAsync(ns, name, ct) : null;
        var status = TrainingRunStatusComputer.Compute(new TrainingRunObservation
        {
            Generation = current.Generation(),
            Previous = previous,
            Run = run,
            Trainer = trainer,
            Gateway = ctx.View.Get(ResourceType.Deployment, ns, Names.Gateway(name)),
            Redis = ctx.View.Get(ResourceType.StatefulSet, ns, Names.Redis(name)),
            NeedsRedis = run.Spec.Queue.RedisUrl.Length == 0,
            Pool = ctx.View.Get(ResourceType.SandboxPool, ns, poolName),
            PoolName = poolName,
            Progress = progress,
        }, ctx.Now());

        if (await StatusWriter.WriteIfChangedAsync(ctx, ResourceType.TrainingRun, current, status, ct) && status.Phase != previous?.Phase)
        {
            var warning = status.Phase is "Failed";
            var ready = Conditions.Find(status.Conditions, "Ready");
            await ctx.Events.RecordAsync(current, warning ? "Warning" : "Normal", status.Phase!, "Reconcile",
                $"phase {previous?.Phase ?? "(none)"} -> {status.Phase}: {ready?.Message}", ct);
        }
        // Progress is not a watch event: poll the trainer while the run is live.
        return status.Phase is "Pending" or "Running" ? ReconcileResult.After(ctx.ProgressPolls.Until(key)) : ReconcileResult.Done;
    }

    private async Task EnsureChildrenAsync(JsonObject current, TrainingRun run, CancellationToken ct)
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await ctx.Applier.CreateIfMissingAsync(ResourceType.Secret, TrainingRunChildren.IngestTokenSecret(current, token), ct);
        var desired = TrainingRunChildren.Build(current, run, ctx.Options);
        foreach (var (type, child) in desired)
            // An inline pool's replicas may be changed through its scale subresource (kubectl scale, HPA); the
            // run re-asserts them only when its own spec changes (the desired hash).
            await ctx.Applier.EnsureAsync(type, child, ct, type == ResourceType.SandboxPool ? ["spec.replicas"] : null);
        foreach (var type in new[] { ResourceType.StatefulSet, ResourceType.Service, ResourceType.SandboxPool })
        {
            var wanted = desired.Where(d => d.Type == type).Select(d => d.Object.Name()).ToHashSet();
            await ctx.Applier.PruneAsync(type, current.Uid(), wanted, ct);
        }
    }

    private async Task<JsonObject> AddFinalizerAsync(JsonObject current, CancellationToken ct)
    {
        var finalizers = new JsonArray(current.Finalizers().Append(Names.StreamFinalizer).Select(f => (JsonNode?)f).ToArray());
        // resourceVersion in a merge patch is a precondition: a concurrent writer gives 409 and a retry.
        return await ctx.Client.MergePatchAsync(ResourceType.TrainingRun, current.Namespace(), current.Name(), new JsonObject
        {
            ["metadata"] = new JsonObject { ["finalizers"] = finalizers, ["resourceVersion"] = current.ResourceVersion() },
        }, ct);
    }

    /// <summary>
    /// DEL of the run's stream, one bounded attempt. A failure is retried with backoff (thrown) until
    /// StreamCleanupTimeout after the deletion began; then the run goes without it and a warning event says which
    /// stream on which Redis is left (issue 20, bug 6). True when the stream was deleted.
    /// </summary>
    private async Task<bool> TryDeleteStreamAsync(JsonObject current, string url, CancellationToken ct)
    {
        var stream = Names.Stream(current.Name());
        try
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attempt.CancelAfter(ctx.Options.StreamCleanupAttemptTimeout);
            await ctx.StreamCleaner.DeleteStreamAsync(url, current.Name(), attempt.Token);
            return true;
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is not KubeApiException)
        {
            var since = DateTimeOffset.Parse((string)current.Metadata()["deletionTimestamp"]!, System.Globalization.CultureInfo.InvariantCulture);
            var deadline = since + ctx.Options.StreamCleanupTimeout;
            if (ctx.Time.GetUtcNow() < deadline)
                throw new StreamCleanupException($"deleting Redis stream {stream} at {url} failed ({e.GetType().Name}: {e.Message}); " +
                    $"retrying until {deadline:u}, then the run is deleted without it", e);
            await ctx.Events.RecordAsync(current, "Warning", "StreamNotDeleted", "Finalize",
                $"gave up deleting Redis stream {stream} at {url} after {ctx.Options.StreamCleanupTimeout.TotalSeconds:0} s ({e.Message}); " +
                "delete it by hand (DEL) if that Redis comes back", ct);
            return false;
        }
    }

    private async Task FinalizeAsync(JsonObject current, TrainingRun? run, CancellationToken ct)
    {
        if (!current.Finalizers().Contains(Names.StreamFinalizer)) return;
        var name = current.Name();
        var ns = current.Namespace();
        var ownRedis = run is null || run.Spec.Queue.RedisUrl.Length == 0;
        var redisReady = (int?)ctx.View.Get(ResourceType.StatefulSet, ns, Names.Redis(name))?["status"]?["readyReplicas"] > 0;
        // An operator-made Redis that never became ready holds no stream; an external one always may.
        if (run is not null && (!ownRedis || redisReady))
        {
            var url = TrainingRunChildren.RedisUrl(name, ns, run, ctx.Options);
            if (await TryDeleteStreamAsync(current, url, ct))
                await ctx.Events.RecordAsync(current, "Normal", "StreamDeleted", "Finalize", $"deleted Redis stream {Names.Stream(name)}", ct);
        }
        var remaining = new JsonArray(current.Finalizers().Where(f => f != Names.StreamFinalizer).Select(f => (JsonNode?)f).ToArray());
        await ctx.Client.MergePatchAsync(ResourceType.TrainingRun, ns, name, new JsonObject
        {
            ["metadata"] = new JsonObject { ["finalizers"] = remaining, ["resourceVersion"] = current.ResourceVersion() },
        }, ct);
    }
}
