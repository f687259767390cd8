using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AgentOps.Operator.Kube;

namespace AgentOps.Operator.Reconcile;

/// <summary>
/// Applies desired children with server-side apply only when the live object differs: every field we set
/// must hold our value (drift is corrected) and the desired-hash annotation must match (a field we stopped
/// setting is dropped by re-applying). An unchanged world therefore costs no write. Children we own but no
/// longer want are deleted. Lists compare element-wise as subsets, because the API server adds defaults
/// inside list items (containers, ports).
/// </summary>
public sealed class ChildApplier(KubeClient client, ClusterView view)
{
    /// <summary>Writes made by this applier since it was created (tests and the bench read it).</summary>
    public long Writes => Interlocked.Read(ref _writes);
    private long _writes;

    public static JsonObject WithHash(JsonObject desired)
    {
        var normalized = Json.Normalize(desired);
        var meta = (JsonObject)normalized["metadata"]!;
        if (meta["annotations"] is not JsonObject annotations) meta["annotations"] = annotations = [];
        annotations.Remove(Names.DesiredHashAnnotation);
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(normalized.ToJsonString())))[..16].ToLowerInvariant();
        annotations[Names.DesiredHashAnnotation] = hash;
        return normalized;
    }

    /// <summary>Applies <paramref name="desired"/> unless the cached live object already satisfies it. Returns true when it wrote.</summary>
    public async Task<bool> EnsureAsync(ResourceType type, JsonObject desired, CancellationToken ct, IReadOnlyCollection<string>? ignoreDrift = null)
    {
        desired = WithHash(desired);
        var live = view.Get(type, desired.Namespace(), desired.Name());
        if (live is not null && Satisfies(live, desired, "", ignoreDrift ?? [])) return false;
        await client.ApplyAsync(type, desired, ct);
        Interlocked.Increment(ref _writes);
        return true;
    }

    /// <summary>Creates the object only when absent (content generated once, like a random token).</summary>
    public async Task<bool> CreateIfMissingAsync(ResourceType type, JsonObject desired, CancellationToken ct)
    {
        if (view.Get(type, desired.Namespace(), desired.Name()) is not null) return false;
        try { await client.CreateAsync(type, desired, ct); }
        catch (KubeApiException e) when (e.IsAlreadyExists) { return false; } // the informer had not seen it yet
        Interlocked.Increment(ref _writes);
        return true;
    }

    /// <summary>Deletes children of <paramref name="ownerUid"/> of this type whose names are not wanted any more.</summary>
    public async Task<int> PruneAsync(ResourceType type, string ownerUid, IReadOnlySet<string> wanted, CancellationToken ct)
    {
        var deleted = 0;
        foreach (var child in view.OwnedBy(type, ownerUid))
        {
            if (wanted.Contains(child.Name()) || child.IsDeleting()) continue;
            await client.DeleteAsync(type, child.Namespace(), child.Name(), PropagationPolicy.Background, ct);
            Interlocked.Increment(ref _writes);
            deleted++;
        }
        return deleted;
    }

    /// <summary>True when every leaf of <paramref name="desired"/> is present in <paramref name="live"/> with the same value.</summary>
    internal static bool Satisfies(JsonNode? live, JsonNode? desired, string path, IReadOnlyCollection<string> ignore)
    {
        if (ignore.Contains(path)) return true;
        switch (desired)
        {
            case JsonObject d:
                if (live is not JsonObject l) return false;
                foreach (var (k, v) in d)
                {
                    if (path.Length == 0 && k is "apiVersion" or "kind") continue;
                    if (!Satisfies(l[k], v, path.Length == 0 ? k : path + "." + k, ignore)) return false;
                }
                return true;
            case JsonArray da:
                if (live is not JsonArray la || la.Count != da.Count) return false;
                for (var i = 0; i < da.Count; i++)
                    if (!Satisfies(la[i], da[i], path + "[]", ignore)) return false;
                return true;
            case null:
                return live is null;
            default:
                return JsonNode.DeepEquals(live, desired);
        }
    }
}
