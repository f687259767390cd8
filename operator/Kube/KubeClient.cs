using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace AgentOps.Operator.Kube;

/// <summary>
/// The operator's seam onto KubernetesClient: untyped JSON objects through the library's generic
/// (custom-object) API for our kinds and the built-in kinds the reconcilers build as JSON documents (server-side
/// apply sends exactly the fields we set), and the typed <see cref="Api"/> for everything read or written as a
/// model (Leases, Events, ReplicaSets). Errors come out as <see cref="KubeApiException"/> with the metav1.Status reason.
/// </summary>
public sealed class KubeClient : IDisposable
{
    /// <summary>The field manager of every write (server-side apply field ownership).</summary>
    public const string FieldManager = "agentops";

    public KubeClient(KubernetesClientConfiguration config)
    {
        // The library's custom-object paths are /apis/GROUP/VERSION/...; core kinds live under /api/v1 (its own
        // GenericClient rewrites the path the same way for the empty group).
        Api = new Kubernetes(config, new CoreGroupPathHandler());
        DefaultNamespace = string.IsNullOrEmpty(config.Namespace) ? "default" : config.Namespace;
        Server = new Uri(config.Host);
    }

    /// <summary>The typed client (typed models for the built-in kinds).</summary>
    public IKubernetes Api { get; }
    public string DefaultNamespace { get; }
    public Uri Server { get; }

    public async Task<JsonObject?> GetAsync(ResourceType type, string ns, string name, CancellationToken ct, string? subresource = null)
    {
        try
        {
            var o = await Call($"GET {type.Plural} {ns}/{name}", subresource switch
            {
                null => Api.CustomObjects.GetNamespacedCustomObjectWithHttpMessagesAsync(type.Group, type.Version, ns, type.Plural, name, cancellationToken: ct),
                "status" => Api.CustomObjects.GetNamespacedCustomObjectStatusWithHttpMessagesAsync(type.Group, type.Version, ns, type.Plural, name, cancellationToken: ct),
                "scale" => Api.CustomObjects.GetNamespacedCustomObjectScaleWithHttpMessagesAsync(type.Group, type.Version, ns, type.Plural, name, cancellationToken: ct),
                _ => throw new ArgumentException($"subresource \"{subresource}\" is not supported", nameof(subresource)),
            });
            return o;
        }
        catch (KubeApiException e) when (e.IsNotFound) { return null; }
    }

    /// <summary>List (ns null = all namespaces); the answer's resourceVersion is where a watch must start.</summary>
    public async Task<KubeList> ListAsync(ResourceType type, string? ns, CancellationToken ct, string? labelSelector = null)
    {
        var list = await Call($"LIST {type.Plural}", ns is null
            ? Api.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync(type.Group, type.Version, type.Plural, labelSelector: labelSelector, cancellationToken: ct)
            : Api.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(type.Group, type.Version, ns, type.Plural, labelSelector: labelSelector, cancellationToken: ct));
        var items = (list["items"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        foreach (var item in items)
        {
            // Items of a list carry no kind/apiVersion on the wire (API conventions); fill them in.
            item["kind"] ??= type.Kind;
            item["apiVersion"] ??= type.ApiVersion;
        }
        return new KubeList(items, (string?)list["metadata"]?["resourceVersion"] ?? "");
    }

    /// <summary>
    /// A watch through the library (its line-by-line watch stream): events from <paramref name="resourceVersion"/>, with
    /// bookmarks, until the server closes it after <paramref name="timeoutSeconds"/>. A 410 arrives either as the HTTP
    /// status or as an ERROR event (the library reports a Status object through onError); both throw a
    /// <see cref="KubeApiException"/> with <see cref="KubeApiException.IsGone"/>, and the Reflector relists.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(ResourceType type, string? ns, string resourceVersion, int timeoutSeconds,
        [EnumeratorCancellation] CancellationToken ct, string? labelSelector = null)
    {
        var request = $"WATCH {type.Plural} from {resourceVersion}";
        Exception? error = null;
        var events = ns is null
            ? Api.CustomObjects.WatchListClusterCustomObjectAsync(type.Group, type.Version, type.Plural, allowWatchBookmarks: true,
                labelSelector: labelSelector, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: x => error ??= x!, cancellationToken: ct)
            : Api.CustomObjects.WatchListNamespacedCustomObjectAsync(type.Group, type.Version, ns, type.Plural, allowWatchBookmarks: true,
                labelSelector: labelSelector, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: x => error ??= x!, cancellationToken: ct);
        await using var e = events.GetAsyncEnumerator(ct);
        while (true)
        {
            bool more;
            try { more = await e.MoveNextAsync(); }
            catch (HttpOperationException x) { throw KubeApiException.From(x, request); }
            if (error is not null) throw KubeApiException.From(error, request);
            if (!more) yield break;
            var (kind, obj) = e.Current;
            yield return new WatchEvent(kind switch
            {
                WatchEventType.Added => WatchEvent.Added,
                WatchEventType.Modified => WatchEvent.Modified,
                WatchEventType.Deleted => WatchEvent.Deleted,
                WatchEventType.Bookmark => WatchEvent.Bookmark,
                _ => WatchEvent.Error,
            }, ToObject(obj));
        }
    }

    public Task<JsonObject> CreateAsync(ResourceType type, JsonObject obj, CancellationToken ct)
    {
        obj["apiVersion"] ??= type.ApiVersion;
        obj["kind"] ??= type.Kind;
        return Call($"POST {type.Plural} {obj.Namespace()}/{obj.Name()}",
            Api.CustomObjects.CreateNamespacedCustomObjectWithHttpMessagesAsync(obj, type.Group, type.Version, obj.Namespace(), type.Plural,
                fieldManager: FieldManager, cancellationToken: ct))!;
    }

    /// <summary>PUT with metadata.resourceVersion: optimistic concurrency, 409 Conflict when someone wrote in between.</summary>
    public Task<JsonObject> ReplaceAsync(ResourceType type, JsonObject obj, CancellationToken ct) =>
        Call($"PUT {type.Plural} {obj.Namespace()}/{obj.Name()}",
            Api.CustomObjects.ReplaceNamespacedCustomObjectWithHttpMessagesAsync(obj, type.Group, type.Version, obj.Namespace(), type.Plural, obj.Name(),
                fieldManager: FieldManager, cancellationToken: ct))!;

    /// <summary>PUT to the status subresource with metadata.resourceVersion: only .status is written; a stale copy gets 409.</summary>
    public Task<JsonObject> ReplaceStatusAsync(ResourceType type, JsonObject obj, CancellationToken ct) =>
        Call($"PUT {type.Plural}/status {obj.Namespace()}/{obj.Name()}",
            Api.CustomObjects.ReplaceNamespacedCustomObjectStatusWithHttpMessagesAsync(obj, type.Group, type.Version, obj.Namespace(), type.Plural, obj.Name(),
                fieldManager: FieldManager, cancellationToken: ct))!;

    /// <summary>
    /// Server-side apply (application/apply-patch+yaml) with fieldManager=agentops and force=true: the controller
    /// owns these fields and takes them over from anyone else (controller-runtime's client.Apply with ForceOwnership).
    /// </summary>
    public Task<JsonObject> ApplyAsync(ResourceType type, JsonObject obj, CancellationToken ct)
    {
        obj["apiVersion"] ??= type.ApiVersion;
        obj["kind"] ??= type.Kind;
        return Call($"APPLY {type.Plural} {obj.Namespace()}/{obj.Name()}",
            Api.CustomObjects.PatchNamespacedCustomObjectWithHttpMessagesAsync(new V1Patch(obj.ToJsonString(), V1Patch.PatchType.ApplyPatch),
                type.Group, type.Version, obj.Namespace(), type.Plural, obj.Name(), fieldManager: FieldManager, force: true, cancellationToken: ct))!;
    }

    /// <summary>JSON merge patch (RFC 7386): null deletes a key, objects merge, lists replace. A metadata.resourceVersion in it is a precondition.</summary>
    public Task<JsonObject> MergePatchAsync(ResourceType type, string ns, string name, JsonObject patch, CancellationToken ct, string? subresource = null)
    {
        var body = new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch);
        return Call($"PATCH {type.Plural}{(subresource is null ? "" : "/" + subresource)} {ns}/{name}", subresource switch
        {
            null => Api.CustomObjects.PatchNamespacedCustomObjectWithHttpMessagesAsync(body, type.Group, type.Version, ns, type.Plural, name, fieldManager: FieldManager, cancellationToken: ct),
            "status" => Api.CustomObjects.PatchNamespacedCustomObjectStatusWithHttpMessagesAsync(body, type.Group, type.Version, ns, type.Plural, name, fieldManager: FieldManager, cancellationToken: ct),
            "scale" => Api.CustomObjects.PatchNamespacedCustomObjectScaleWithHttpMessagesAsync(body, type.Group, type.Version, ns, type.Plural, name, fieldManager: FieldManager, cancellationToken: ct),
            _ => throw new ArgumentException($"subresource \"{subresource}\" is not supported", nameof(subresource)),
        })!;
    }

    /// <summary>DELETE with a propagationPolicy; false when the object was already gone.</summary>
    public async Task<bool> DeleteAsync(ResourceType type, string ns, string name, PropagationPolicy propagation, CancellationToken ct)
    {
        try
        {
            await Call($"DELETE {type.Plural} {ns}/{name}", Api.CustomObjects.DeleteNamespacedCustomObjectWithHttpMessagesAsync(type.Group, type.Version, ns, type.Plural, name,
                new V1DeleteOptions { PropagationPolicy = propagation.ToString() }, cancellationToken: ct));
            return true;
        }
        catch (KubeApiException e) when (e.IsNotFound) { return false; }
    }

    private static async Task<JsonObject> Call(string request, Task<HttpOperationResponse<object>> call)
    {
        try
        {
            using var response = await call;
            return ToObject(response.Body);
        }
        catch (HttpOperationException e) { throw KubeApiException.From(e, request); }
    }

    /// <summary>The generic API answers JsonElements; the reconcilers read and edit JsonObjects.</summary>
    private static JsonObject ToObject(object? body) => body switch
    {
        JsonElement { ValueKind: JsonValueKind.Object } e => JsonObject.Create(e)!,
        JsonObject o => o,
        null => [],
        var other => JsonSerializer.SerializeToNode(other) as JsonObject ?? [],
    };

    public void Dispose() => Api.Dispose();

    /// <summary>/apis//v1/... (the empty core group in a custom-object path) → /api/v1/...</summary>
    private sealed class CoreGroupPathHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.RequestUri is { } uri && uri.AbsolutePath.Contains("/apis//", StringComparison.Ordinal))
                request.RequestUri = new UriBuilder(uri) { Path = uri.AbsolutePath.Replace("/apis//", "/api/", StringComparison.Ordinal) }.Uri;
            return base.SendAsync(request, ct);
        }
    }
}
