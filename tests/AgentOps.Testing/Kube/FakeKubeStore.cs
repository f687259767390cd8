using System.Globalization;
using System.Text.Json.Nodes;

namespace AgentOps.Testing.Kube;

/// <summary>
/// The state and semantics of the fake API server, shared by its HTTP front and by tests: a global
/// resourceVersion; generation bumped on spec changes only; the status subresource (main writes ignore
/// status, status writes ignore everything else); 409 on a stale resourceVersion; finalizers and
/// deletionTimestamp; ownerReference garbage collection (background: the owner goes first, the collector
/// removes orphans on the next tick); server-side apply field ownership; an event log for watches that can
/// be compacted so old resourceVersions get 410.
/// </summary>
public sealed class FakeKubeStore
{
    /// <summary>Resources whose status is a subresource (spec writes ignore it).</summary>
    private static readonly HashSet<string> StatusResources =
        ["trainingruns", "sandboxpools", "deployments", "statefulsets", "services"];

    /// <summary>Kinds of the plurals the operator uses (for list kinds and the scale subresource).</summary>
    public static readonly IReadOnlyDictionary<string, (string ApiVersion, string Kind)> Kinds = new Dictionary<string, (string, string)>
    {
        ["trainingruns"] = ("agentops.dev/v1alpha1", "TrainingRun"),
        ["sandboxpools"] = ("agentops.dev/v1alpha1", "SandboxPool"),
        ["deployments"] = ("apps/v1", "Deployment"),
        ["statefulsets"] = ("apps/v1", "StatefulSet"),
        ["services"] = ("v1", "Service"),
        ["secrets"] = ("v1", "Secret"),
        ["configmaps"] = ("v1", "ConfigMap"),
        ["networkpolicies"] = ("networking.k8s.io/v1", "NetworkPolicy"),
        ["leases"] = ("coordination.k8s.io/v1", "Lease"),
        ["events"] = ("events.k8s.io/v1", "Event"),
    };

    private readonly object _gate = new();
    private readonly Dictionary<(string Resource, string Ns, string Name), Stored> _objects = [];
    private readonly List<LogEntry> _log = [];
    private readonly TimeProvider _time;
    private long _rv = 1000;
    private long _compactedThrough;
    private long _uid;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, int> _injectedFailures = [];

    public FakeKubeStore(TimeProvider time) => _time = time;

    private sealed class Stored(JsonObject obj)
    {
        public JsonObject Object = obj;
        public readonly FieldOwnership Fields = new();
    }

    internal sealed record LogEntry(long Rv, string Resource, string Ns, string Type, JsonObject Object);

    public long ResourceVersion { get { lock (_gate) return _rv; } }

    /// <summary>Writes (create, update, patch, apply, delete) that changed an object, by resource plural.</summary>
    public Dictionary<string, int> Changes { get; } = [];

    /// <summary>Completes at the next change (watchers wait on it).</summary>
    internal Task NextChange { get { lock (_gate) return _changed.Task; } }

    // ---- reads ----

    public JsonObject? Get(string resource, string ns, string name)
    {
        lock (_gate) return _objects.TryGetValue((resource, ns, name), out var s) ? WithManagedFields(s) : null;
    }

    public (List<JsonObject> Items, long Rv) List(string resource, string? ns, IReadOnlyDictionary<string, string>? labels = null)
    {
        lock (_gate)
        {
            var items = _objects.Where(kv => kv.Key.Resource == resource && (ns is null || kv.Key.Ns == ns))
                .Select(kv => kv.Value.Object)
                .Where(o => labels is null || labels.All(l => (string?)o["metadata"]?["labels"]?[l.Key] == l.Value))
                .OrderBy(o => (string?)o["metadata"]!["namespace"]).ThenBy(o => (string?)o["metadata"]!["name"])
                .Select(o => (JsonObject)o.DeepClone()).ToList();
            return (items, _rv);
        }
    }

    public int Count(string resource) { lock (_gate) return _objects.Keys.Count(k => k.Resource == resource); }

    /// <summary>Log entries after <paramref name="afterRv"/>; throws 410 Expired when that point was compacted away.</summary>
    /// <remarks>Also returns the store's resourceVersion at the same instant: every matching change up to it is in the list.</remarks>
    internal (List<LogEntry> Entries, long Rv) EventsSince(string resource, string? ns, long afterRv, IReadOnlyDictionary<string, string>? labels = null)
    {
        lock (_gate)
        {
            if (afterRv < _compactedThrough)
                throw new FakeKubeError(410, "Expired", $"too old resource version: {afterRv} ({_compactedThrough})");
            // The log is ordered by resourceVersion: binary-search the first entry after afterRv.
            int lo = 0, hi = _log.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if (_log[mid].Rv <= afterRv) lo = mid + 1; else hi = mid;
            }
            if (lo >= _log.Count) return ([], _rv);
            return (_log.Skip(lo).Where(e => e.Resource == resource && (ns is null || e.Ns == ns)
                && (labels is null || labels.All(l => (string?)e.Object["metadata"]?["labels"]?[l.Key] == l.Value))).ToList(), _rv);
        }
    }

    // ---- test hooks ----

    /// <summary>Drops the watch history up to now (etcd compaction): a watch from an older resourceVersion gets 410.</summary>
    public void Compact()
    {
        lock (_gate) { _compactedThrough = _rv; _log.Clear(); }
    }

    /// <summary>The next <paramref name="count"/> writes to <paramref name="resource"/> (subresource "status" or "" for the main resource) answer 409.</summary>
    public void InjectConflicts(string resource, string subresource, int count)
    {
        lock (_gate) _injectedFailures[resource + "/" + subresource] = count;
    }

    private void CheckInjected(string resource, string? subresource, string name)
    {
        var key = resource + "/" + (subresource ?? "");
        if (_injectedFailures.TryGetValue(key, out var n) && n > 0)
        {
            _injectedFailures[key] = n - 1;
            throw FakeKubeError.Conflict(resource, name);
        }
    }

    // ---- writes ----

    public JsonObject Create(string resource, string ns, JsonObject obj, string manager = "unknown")
    {
        lock (_gate)
        {
            CheckInjected(resource, null, (string?)obj["metadata"]?["name"] ?? "");
            obj = (JsonObject)obj.DeepClone();
            var meta = obj["metadata"] as JsonObject ?? throw new FakeKubeError(400, "BadRequest", "metadata is required");
            var name = (string?)meta["name"];
            if (string.IsNullOrEmpty(name) && (string?)meta["generateName"] is { } gen) meta["name"] = name = gen + (++_uid).ToString("x5");
            if (string.IsNullOrEmpty(name)) throw new FakeKubeError(422, "Invalid", "metadata.name: Required value: name or generateName is required");
            if (_objects.ContainsKey((resource, ns, name))) throw new FakeKubeError(409, "AlreadyExists", $"{resource} \"{name}\" already exists");
            FillType(resource, obj);
            meta["namespace"] = ns;
            meta["uid"] = $"00000000-0000-4000-8000-{++_uid:x12}";
            meta["generation"] = 1L;
            meta["creationTimestamp"] = Now();
            meta.Remove("resourceVersion");
            meta.Remove("deletionTimestamp");
            meta.Remove("managedFields");
            if (StatusResources.Contains(resource)) obj.Remove("status");
            var stored = new Stored(obj);
            stored.Fields.Update(manager, [], obj, null);
            _objects[(resource, ns, name)] = stored;
            Commit(resource, ns, "ADDED", stored);
            return WithManagedFields(stored);
        }
    }

    /// <summary>PUT: optimistic concurrency on metadata.resourceVersion when given.</summary>
    public JsonObject Replace(string resource, string ns, string name, JsonObject obj, string? subresource, string manager = "unknown")
    {
        lock (_gate)
        {
            var stored = Find(resource, ns, name);
            CheckInjected(resource, subresource, name);
            var rv = (string?)obj["metadata"]?["resourceVersion"];
            if (!string.IsNullOrEmpty(rv) && rv != (string?)stored.Object["metadata"]!["resourceVersion"])
                throw FakeKubeError.Conflict(resource, name);
            return Write(resource, ns, stored, Merge(resource, stored.Object, (JsonObject)obj.DeepClone(), subresource), subresource, manager);
        }
    }

    public JsonObject MergePatch(string resource, string ns, string name, JsonObject patch, string? subresource, string manager = "unknown")
    {
        lock (_gate)
        {
            var stored = Find(resource, ns, name);
            CheckInjected(resource, subresource, name);
            var patched = (JsonObject)JsonMergePatch.Apply(stored.Object, patch)!;
            return Write(resource, ns, stored, Merge(resource, stored.Object, patched, subresource), subresource, manager);
        }
    }

    /// <summary>Server-side apply (PATCH application/apply-patch+yaml); creates the object when absent.</summary>
    public JsonObject Apply(string resource, string ns, string name, JsonObject applied, string manager, bool force, string? subresource)
    {
        lock (_gate)
        {
            CheckInjected(resource, subresource, name);
            applied = (JsonObject)applied.DeepClone();
            if (applied["metadata"] is not JsonObject meta) applied["metadata"] = meta = [];
            meta["name"] = name;
            meta["namespace"] = ns;
            var fields = FieldOwnership.Leaves(applied);
            if (subresource == "status") fields.RemoveWhere(f => !f.StartsWith("status", StringComparison.Ordinal));
            else if (StatusResources.Contains(resource)) fields.RemoveWhere(f => f.StartsWith("status", StringComparison.Ordinal));
            if (!_objects.TryGetValue((resource, ns, name), out var stored))
            {
                if (subresource is not null) throw FakeKubeError.NotFound(resource, name);
                var created = Create(resource, ns, applied, manager);
                var s = _objects[(resource, ns, name)];
                s.Fields.Apply(manager, s.Object, applied, fields, null);
                return created;
            }
            var conflicts = stored.Fields.Conflicts(manager, stored.Object, applied, fields);
            if (conflicts.Count > 0 && !force)
                throw new FakeKubeError(409, "Conflict", $"Apply failed with {conflicts.Count} conflict(s): {string.Join(", ", conflicts)}");
            var next = (JsonObject)stored.Object.DeepClone();
            stored.Fields.Apply(manager, next, applied, fields, subresource);
            return Write(resource, ns, stored, next, subresource, manager: null);
        }
    }

    /// <summary>DELETE: with finalizers the object only gets a deletionTimestamp; otherwise it goes, and its dependents follow.</summary>
    public JsonObject Delete(string resource, string ns, string name, string propagation)
    {
        lock (_gate)
        {
            var stored = Find(resource, ns, name);
            var meta = (JsonObject)stored.Object["metadata"]!;
            if (propagation == "Orphan") Orphan((string)meta["uid"]!);
            if (meta["finalizers"] is JsonArray { Count: > 0 })
            {
                if (meta["deletionTimestamp"] is null)
                {
                    meta["deletionTimestamp"] = Now();
                    Commit(resource, ns, "MODIFIED", stored);
                }
                return WithManagedFields(stored);
            }
            Remove(resource, ns, name, stored);
            return WithManagedFields(stored);
        }
    }

    /// <summary>
    /// One tick of the controllers the real cluster runs: the garbage collector deletes objects whose every
    /// controller owner is gone, and Deployments/StatefulSets report their pods ready (status follows spec).
    /// </summary>
    public void Tick(bool simulateWorkloads)
    {
        lock (_gate)
        {
            var uids = _objects.Values.Select(s => (string?)s.Object["metadata"]!["uid"]).ToHashSet();
            foreach (var (key, stored) in _objects.ToList())
            {
                if (stored.Object["metadata"]!["ownerReferences"] is JsonArray { Count: > 0 } owners
                    && owners.All(o => !uids.Contains((string?)o!["uid"])))
                {
                    if (stored.Object["metadata"]!["finalizers"] is JsonArray { Count: > 0 })
                    {
                        if (stored.Object["metadata"]!["deletionTimestamp"] is null)
                        {
                            stored.Object["metadata"]!["deletionTimestamp"] = Now();
                            Commit(key.Resource, key.Ns, "MODIFIED", stored);
                        }
                    }
                    else Remove(key.Resource, key.Ns, key.Name, stored);
                }
            }
            if (!simulateWorkloads) return;
            foreach (var (key, stored) in _objects.ToList())
            {
                if (key.Resource is not ("deployments" or "statefulsets")) continue;
                var o = stored.Object;
                var replicas = (int?)o["spec"]?["replicas"] ?? 1;
                var generation = (long?)o["metadata"]!["generation"] ?? 1;
                var status = o["status"] as JsonObject;
                if (status is not null && (long?)status["observedGeneration"] == generation && (int?)status["readyReplicas"] == replicas
                    && (int?)status["replicas"] == replicas) continue;
                o["status"] = new JsonObject
                {
                    ["observedGeneration"] = generation,
                    ["replicas"] = replicas,
                    ["readyReplicas"] = replicas,
                    ["availableReplicas"] = replicas,
                    ["updatedReplicas"] = replicas,
                };
                Commit(key.Resource, key.Ns, "MODIFIED", stored);
            }
        }
    }

    // ---- helpers ----

    private Stored Find(string resource, string ns, string name) =>
        _objects.TryGetValue((resource, ns, name), out var s) ? s : throw FakeKubeError.NotFound(resource, name);

    /// <summary>What a write may change: the status subresource only status; the main resource everything but status.</summary>
    private static JsonObject Merge(string resource, JsonObject current, JsonObject incoming, string? subresource)
    {
        if (subresource == "status")
        {
            var next = (JsonObject)current.DeepClone();
            if (incoming["status"] is JsonNode st) next["status"] = st.DeepClone(); else next.Remove("status");
            return next;
        }
        var meta = incoming["metadata"] as JsonObject ?? [];
        incoming["metadata"] = meta;
        var cur = (JsonObject)current["metadata"]!;
        foreach (var k in new[] { "uid", "creationTimestamp", "generation", "deletionTimestamp", "namespace", "name" })
            meta[k] = cur[k]?.DeepClone();
        meta.Remove("managedFields");
        meta.Remove("resourceVersion");
        if (StatusResources.Contains(resource))
        {
            if (current["status"] is JsonNode st) incoming["status"] = st.DeepClone(); else incoming.Remove("status");
        }
        incoming["apiVersion"] = current["apiVersion"]?.DeepClone();
        incoming["kind"] = current["kind"]?.DeepClone();
        return incoming;
    }

    private JsonObject Write(string resource, string ns, Stored stored, JsonObject next, string? subresource, string? manager)
    {
        var before = stored.Object;
        var meta = (JsonObject)next["metadata"]!;
        meta["resourceVersion"] = before["metadata"]!["resourceVersion"]?.DeepClone();
        if (JsonNode.DeepEquals(before, next)) return WithManagedFields(stored); // a no-op write changes nothing, not even resourceVersion
        if (subresource != "status" && !JsonNode.DeepEquals(SpecPart(before), SpecPart(next)))
            meta["generation"] = ((long?)before["metadata"]!["generation"] ?? 1) + 1;
        if (manager is not null) stored.Fields.Update(manager, before, next, subresource);
        stored.Object = next;
        // Finalizers removed from an object being deleted: it goes now.
        if (meta["deletionTimestamp"] is not null && meta["finalizers"] is not JsonArray { Count: > 0 })
        {
            Remove(resource, ns, (string)meta["name"]!, stored);
            return WithManagedFields(stored);
        }
        Commit(resource, ns, "MODIFIED", stored);
        return WithManagedFields(stored);
    }

    /// <summary>Everything but metadata and status: a change here bumps metadata.generation.</summary>
    private static JsonObject SpecPart(JsonObject o)
    {
        var copy = new JsonObject();
        foreach (var (k, v) in o)
            if (k is not ("metadata" or "status")) copy[k] = v?.DeepClone();
        return copy;
    }

    private void Remove(string resource, string ns, string name, Stored stored)
    {
        _objects.Remove((resource, ns, name));
        Commit(resource, ns, "DELETED", stored);
    }

    private void Orphan(string uid)
    {
        foreach (var (key, s) in _objects.ToList())
            if (s.Object["metadata"]!["ownerReferences"] is JsonArray owners && owners.Any(o => (string?)o!["uid"] == uid))
            {
                var kept = new JsonArray(owners.Where(o => (string?)o!["uid"] != uid).Select(o => o!.DeepClone()).ToArray());
                s.Object["metadata"]!["ownerReferences"] = kept;
                Commit(key.Resource, key.Ns, "MODIFIED", s);
            }
    }

    private void Commit(string resource, string ns, string type, Stored stored)
    {
        stored.Object["metadata"]!["resourceVersion"] = (++_rv).ToString(CultureInfo.InvariantCulture);
        Changes[resource] = Changes.GetValueOrDefault(resource) + 1;
        _log.Add(new LogEntry(_rv, resource, ns, type, WithManagedFields(stored)));
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private JsonObject WithManagedFields(Stored s)
    {
        var copy = (JsonObject)s.Object.DeepClone();
        ((JsonObject)copy["metadata"]!)["managedFields"] = s.Fields.ToManagedFields(Now());
        return copy;
    }

    private static void FillType(string resource, JsonObject obj)
    {
        if (Kinds.TryGetValue(resource, out var k))
        {
            obj["apiVersion"] ??= k.ApiVersion;
            obj["kind"] ??= k.Kind;
        }
    }

    private string Now() => _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
