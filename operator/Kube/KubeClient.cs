using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentOps.Operator.Kube;

/// <summary>
/// A small Kubernetes REST client with client-go semantics, over untyped JSON objects: get, list, watch,
/// create, replace (409 on a stale resourceVersion), server-side apply, status writes, merge patch, delete.
/// </summary>
public sealed class KubeClient : IDisposable
{
    /// <summary>The field manager of every write (server-side apply field ownership).</summary>
    public const string FieldManager = "agentops";

    private readonly HttpClient _http;
    private readonly KubeConnection _connection;

    public KubeClient(KubeConnection connection)
    {
        _connection = connection;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            // client-go keeps many concurrent watches and requests on one HTTP/2 connection; with HTTP/1.1 allow enough sockets.
            MaxConnectionsPerServer = 256,
            SslOptions = new SslClientAuthenticationOptions(),
        };
        if (connection.ClientCertificate is { } cert)
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { cert };
        if (connection.InsecureSkipTlsVerify)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        else if (connection.CertificateAuthority is { } ca)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => ValidateWithCa(ca, certificate, errors);
        _http = new HttpClient(handler) { BaseAddress = connection.Server, Timeout = Timeout.InfiniteTimeSpan };
    }

    public string DefaultNamespace => _connection.Namespace;

    /// <summary>Trust only the cluster CA (client-go rest.TLSClientConfig.CAData), ignoring the system store.</summary>
    private static bool ValidateWithCa(X509Certificate2 ca, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null) return false;
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(new X509Certificate2(certificate));
    }

    public async Task<JsonObject?> GetAsync(ResourceType type, string ns, string name, CancellationToken ct, string? subresource = null)
    {
        try { return await SendAsync(HttpMethod.Get, type.ItemPath(ns, name, subresource), null, ct); }
        catch (KubeApiException e) when (e.IsNotFound) { return null; }
    }

    /// <summary>List (ns null = all namespaces); the answer's resourceVersion is where a watch must start.</summary>
    public async Task<KubeList> ListAsync(ResourceType type, string? ns, CancellationToken ct, string? labelSelector = null)
    {
        var query = labelSelector is null ? "" : "?labelSelector=" + Uri.EscapeDataString(labelSelector);
        var list = await SendAsync(HttpMethod.Get, type.CollectionPath(ns) + query, null, ct);
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
    /// client-go watch: streams events from <paramref name="resourceVersion"/>, with bookmarks, until the
    /// server closes it after <paramref name="timeoutSeconds"/>. A 410 arrives either as the HTTP status or as
    /// an ERROR event; callers relist on both (see Reflector).
    /// </summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(ResourceType type, string? ns, string resourceVersion, int timeoutSeconds,
        [EnumeratorCancellation] CancellationToken ct, string? labelSelector = null)
    {
        var path = $"{type.CollectionPath(ns)}?watch=true&allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(resourceVersion)}&timeoutSeconds={timeoutSeconds}"
            + (labelSelector is null ? "" : "&labelSelector=" + Uri.EscapeDataString(labelSelector));
        using var request = await NewRequestAsync(HttpMethod.Get, path, ct);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
            throw KubeApiException.FromStatus(response.StatusCode, await response.Content.ReadAsStringAsync(ct), $"WATCH {path}");
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0) continue;
            var node = JsonNode.Parse(line) as JsonObject ?? throw new InvalidDataException($"WATCH {path}: not a JSON object: {line}");
            yield return new WatchEvent((string?)node["type"] ?? "", node["object"] as JsonObject ?? []);
        }
    }

    public Task<JsonObject> CreateAsync(ResourceType type, JsonObject obj, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, type.CollectionPath(obj.Namespace()), Json(obj), ct);

    /// <summary>PUT with metadata.resourceVersion: optimistic concurrency, 409 Conflict when someone wrote in between.</summary>
    public Task<JsonObject> ReplaceAsync(ResourceType type, JsonObject obj, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, type.ItemPath(obj.Namespace(), obj.Name()), Json(obj), ct);

    /// <summary>PUT to the status subresource: only .status is written; spec changes in the body are ignored by the server.</summary>
    public Task<JsonObject> ReplaceStatusAsync(ResourceType type, JsonObject obj, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, type.ItemPath(obj.Namespace(), obj.Name(), "status"), Json(obj), ct);

    /// <summary>
    /// Server-side apply: PATCH application/apply-patch+yaml with fieldManager=agentops and force=true (the
    /// controller owns these fields and takes them over from anyone else). JSON is YAML, so the body is JSON.
    /// </summary>
    public Task<JsonObject> ApplyAsync(ResourceType type, JsonObject obj, CancellationToken ct, string? subresource = null)
    {
        obj["apiVersion"] ??= type.ApiVersion;
        obj["kind"] ??= type.Kind;
        var path = type.ItemPath(obj.Namespace(), obj.Name(), subresource) + $"?fieldManager={FieldManager}&force=true";
        return SendAsync(HttpMethod.Patch, path, new StringContent(obj.ToJsonString(), Encoding.UTF8, "application/apply-patch+yaml"), ct);
    }

    /// <summary>JSON merge patch (RFC 7386): null deletes a key, objects merge, lists replace.</summary>
    public Task<JsonObject> MergePatchAsync(ResourceType type, string ns, string name, JsonObject patch, CancellationToken ct, string? subresource = null) =>
        SendAsync(HttpMethod.Patch, type.ItemPath(ns, name, subresource),
            new StringContent(patch.ToJsonString(), Encoding.UTF8, "application/merge-patch+json"), ct);

    /// <summary>DELETE with a propagationPolicy; false when the object was already gone.</summary>
    public async Task<bool> DeleteAsync(ResourceType type, string ns, string name, PropagationPolicy propagation, CancellationToken ct)
    {
        var body = new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["propagationPolicy"] = propagation.ToString() };
        try { await SendAsync(HttpMethod.Delete, type.ItemPath(ns, name), Json(body), ct); return true; }
        catch (KubeApiException e) when (e.IsNotFound) { return false; }
    }

    private static StringContent Json(JsonObject o) => new(o.ToJsonString(), Encoding.UTF8, "application/json");

    private async Task<HttpRequestMessage> NewRequestAsync(HttpMethod method, string path, CancellationToken ct)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.UserAgent.ParseAdd("agentops-operator/0.1");
        if (await _connection.Token.GetTokenAsync(ct) is { Length: > 0 } token)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private async Task<JsonObject> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = await NewRequestAsync(method, path, ct);
        request.Content = content;
        using var response = await _http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
            throw KubeApiException.FromStatus(response.StatusCode, body, $"{method} {path}");
        return body.Length == 0 ? [] : JsonNode.Parse(body) as JsonObject ?? [];
    }

    public void Dispose() => _http.Dispose();
}
