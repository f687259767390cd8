using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using YamlDotNet.RepresentationModel;

namespace AgentOps.Testing.Kube;

/// <summary>Knobs of the fake API server.</summary>
public sealed record FakeKubeOptions
{
    /// <summary>How often the simulated cluster controllers run (garbage collector, Deployment status).</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(50);
    public bool SimulateWorkloads { get; init; } = true;
    /// <summary>How often a watch with allowWatchBookmarks=true gets a BOOKMARK.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>True: a watch from a compacted resourceVersion answers HTTP 410; false: 200 then an ERROR event (both happen on real servers).</summary>
    public bool GoneAsHttpStatus { get; init; }
}

/// <summary>
/// An in-process Kubernetes API server on a loopback port with the real REST paths, so the operator's real
/// HTTP client is exercised: list, get, create, PUT, merge patch, server-side apply, delete with
/// propagationPolicy, the status and scale subresources, and watch (chunked JSON lines, bookmarks, 410 for
/// compacted resourceVersions, timeoutSeconds). Semantics live in <see cref="FakeKubeStore"/>.
/// </summary>
public sealed class FakeKubeApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FakeKubeOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ticker;
    private CancellationTokenSource _breakWatches = new();
    private long _mutatingRequests;

    private FakeKubeApiServer(WebApplication app, FakeKubeStore store, FakeKubeOptions options)
    {
        _app = app;
        Store = store;
        _options = options;
        _ticker = Task.Run(TickLoopAsync);
    }

    public FakeKubeStore Store { get; }

    /// <summary>A KubernetesClient configuration that reaches this server (plain HTTP, no credentials).</summary>
    public k8s.KubernetesClientConfiguration Config() => new() { Host = Url.ToString() };
    public Uri Url { get; private set; } = null!;

    /// <summary>POST/PUT/PATCH/DELETE requests received (whether or not they changed anything).</summary>
    public long MutatingRequests => Interlocked.Read(ref _mutatingRequests);

    /// <summary>Every request as "VERB path?query", in order.</summary>
    public List<string> RequestLog { get; } = [];

    public int ActiveWatches;

    /// <summary>The Authorization header of the latest request (tests check the client's credentials).</summary>
    public string? LastAuthorization { get; private set; }

    /// <summary>Every distinct Authorization header seen.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, byte> Authorizations { get; } = new();

    public static async Task<FakeKubeApiServer> StartAsync(FakeKubeOptions? options = null, TimeProvider? time = null)
    {
        options ??= new FakeKubeOptions();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeKubeApiServer(app, new FakeKubeStore(time ?? TimeProvider.System), options);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address);
        return server;
    }

    private volatile TaskCompletionSource _watchGate = CompletedGate();

    private static TaskCompletionSource CompletedGate()
    {
        var g = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        g.SetResult();
        return g;
    }

    /// <summary>Open watches stop delivering (a stalled connection) until <see cref="ResumeWatches"/>.</summary>
    public void PauseWatches() => _watchGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ResumeWatches() => _watchGate.TrySetResult();

    /// <summary>Ends every open watch stream (a dropped connection); clients reconnect from their last resourceVersion.</summary>
    public void BreakWatches()
    {
        var old = Interlocked.Exchange(ref _breakWatches, new CancellationTokenSource());
        old.Cancel();
    }

    private async Task TickLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try { await Task.Delay(_options.TickInterval, _stop.Token); } catch (OperationCanceledException) { return; }
            Store.Tick(_options.SimulateWorkloads);
        }
    }

    private sealed record Route(string Resource, string? Namespace, string? Name, string? Subresource);

    /// <summary>/api/v1[/namespaces/NS]/PLURAL[/NAME[/SUB]] and /apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME[/SUB]].</summary>
    private static Route? Parse(string path)
    {
        var parts = path.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        int i;
        if (parts.Length >= 3 && parts[0] == "api") i = 2;
        else if (parts.Length >= 4 && parts[0] == "apis") i = 3;
        else return null;
        string? ns = null;
        if (parts.Length > i + 1 && parts[i] == "namespaces") { ns = parts[i + 1]; i += 2; }
        if (parts.Length <= i) return null;
        var resource = parts[i];
        var name = parts.Length > i + 1 ? parts[i + 1] : null;
        var sub = parts.Length > i + 2 ? parts[i + 2] : null;
        return new Route(resource, ns, name, sub);
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var req = ctx.Request;
        lock (RequestLog) RequestLog.Add($"{req.Method} {req.Path}{req.QueryString}");
        LastAuthorization = req.Headers.Authorization.FirstOrDefault();
        if (LastAuthorization is not null) Authorizations.TryAdd(LastAuthorization, 0);
        if (req.Method is "POST" or "PUT" or "PATCH" or "DELETE") Interlocked.Increment(ref _mutatingRequests);
        var route = Parse(req.Path.Value ?? "");
        try
        {
            if (route is null) throw new FakeKubeError(404, "NotFound", $"the server could not find the requested resource ({req.Path})");
            var manager = req.Query["fieldManager"].FirstOrDefault() ?? "unknown";
            var body = req.ContentLength is > 0 || req.Headers.TransferEncoding.Count > 0 ? await new StreamReader(req.Body).ReadToEndAsync() : "";
            switch (req.Method)
            {
                case "GET" when route.Name is null && req.Query["watch"] == "true":
                    await WatchAsync(ctx, route);
                    return;
                case "GET" when route.Name is null:
                    var (items, rv) = Store.List(route.Resource, route.Namespace, ParseSelector(req.Query["labelSelector"].FirstOrDefault()));
                    var kind = FakeKubeStore.Kinds.TryGetValue(route.Resource, out var k) ? k : ("v1", route.Resource);
                    await Reply(ctx, 200, new JsonObject
                    {
                        ["kind"] = kind.Item2 + "List",
                        ["apiVersion"] = kind.Item1,
                        ["metadata"] = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) },
                        ["items"] = new JsonArray(items.ToArray<JsonNode?>()),
                    });
                    return;
                case "GET":
                    var obj = Store.Get(route.Resource, Ns(route), route.Name!) ?? throw FakeKubeError.NotFound(route.Resource, route.Name!);
                    await Reply(ctx, 200, route.Subresource == "scale" ? ToScale(obj) : obj);
                    return;
                case "POST":
                    await Reply(ctx, 201, Store.Create(route.Resource, Ns(route), ParseJson(body), manager));
                    return;
                case "PUT" when route.Subresource == "scale":
                    await Reply(ctx, 200, ToScale(WriteScale(route, ParseJson(body), manager, put: true)));
                    return;
                case "PUT":
                    await Reply(ctx, 200, Store.Replace(route.Resource, Ns(route), route.Name!, ParseJson(body), route.Subresource, manager));
                    return;
                case "PATCH":
                    await Reply(ctx, 200, Patch(route, req.ContentType ?? "", body, manager, req.Query["force"] == "true"));
                    return;
                case "DELETE":
                    var options = body.Length > 0 ? ParseJson(body) : [];
                    var propagation = (string?)options["propagationPolicy"] ?? req.Query["propagationPolicy"].FirstOrDefault() ?? "Background";
                    await Reply(ctx, 200, Store.Delete(route.Resource, Ns(route), route.Name!, propagation));
                    return;
                default:
                    throw new FakeKubeError(405, "MethodNotAllowed", $"{req.Method} is not supported");
            }
        }
        catch (FakeKubeError e)
        {
            await Reply(ctx, e.Code, e.ToStatus());
        }
        catch (Exception e) when (!ctx.Response.HasStarted)
        {
            // A bug in the fake must be visible in the failing test, not a bare 500.
            await Reply(ctx, 500, new FakeKubeError(500, "InternalError", e.ToString()).ToStatus());
        }
    }

    private static string Ns(Route r) => r.Namespace ?? throw new FakeKubeError(400, "BadRequest", "a namespace is required");

    private JsonObject Patch(Route route, string contentType, string body, string manager, bool force)
    {
        if (contentType.StartsWith("application/apply-patch+yaml", StringComparison.Ordinal))
        {
            if (manager == "unknown") throw new FakeKubeError(400, "BadRequest", "fieldManager is required for apply requests");
            return Store.Apply(route.Resource, Ns(route), route.Name!, YamlToJson(body), manager, force, route.Subresource);
        }
        if (contentType.StartsWith("application/merge-patch+json", StringComparison.Ordinal))
        {
            if (route.Subresource == "scale") return ToScale(WriteScale(route, ParseJson(body), manager, put: false));
            return Store.MergePatch(route.Resource, Ns(route), route.Name!, ParseJson(body), route.Subresource, manager);
        }
        throw new FakeKubeError(415, "UnsupportedMediaType", $"the body of the request was in an unknown format: {contentType}");
    }

    /// <summary>The scale subresource (autoscaling/v1 Scale): writes only spec.replicas of the object.</summary>
    private JsonObject WriteScale(Route route, JsonObject scale, string manager, bool put)
    {
        var replicas = (int?)scale["spec"]?["replicas"] ?? throw new FakeKubeError(422, "Invalid", "spec.replicas: Required value");
        if (put && (string?)scale["metadata"]?["resourceVersion"] is { Length: > 0 } rv)
        {
            var current = Store.Get(route.Resource, Ns(route), route.Name!) ?? throw FakeKubeError.NotFound(route.Resource, route.Name!);
            if ((string?)current["metadata"]!["resourceVersion"] != rv) throw FakeKubeError.Conflict(route.Resource, route.Name!);
        }
        return Store.MergePatch(route.Resource, Ns(route), route.Name!, new JsonObject { ["spec"] = new JsonObject { ["replicas"] = replicas } }, null, manager);
    }

    private static JsonObject ToScale(JsonObject obj) => new()
    {
        ["kind"] = "Scale",
        ["apiVersion"] = "autoscaling/v1",
        ["metadata"] = new JsonObject
        {
            ["name"] = obj["metadata"]!["name"]?.DeepClone(),
            ["namespace"] = obj["metadata"]!["namespace"]?.DeepClone(),
            ["resourceVersion"] = obj["metadata"]!["resourceVersion"]?.DeepClone(),
        },
        ["spec"] = new JsonObject { ["replicas"] = obj["spec"]?["replicas"]?.DeepClone() },
        ["status"] = new JsonObject
        {
            ["replicas"] = obj["status"]?["replicas"]?.DeepClone() ?? 0,
            ["selector"] = obj["status"]?["selector"]?.DeepClone() ?? "",
        },
    };

    private async Task WatchAsync(HttpContext ctx, Route route)
    {
        var query = ctx.Request.Query;
        var rvText = query["resourceVersion"].FirstOrDefault();
        var bookmarks = query["allowWatchBookmarks"] == "true";
        var labels = ParseSelector(query["labelSelector"].FirstOrDefault());
        var timeout = int.TryParse(query["timeoutSeconds"], out var t) ? TimeSpan.FromSeconds(t) : TimeSpan.FromMinutes(30);
        long from;
        List<FakeKubeStore.LogEntry> initial = [];
        if (string.IsNullOrEmpty(rvText) || rvText == "0")
        {
            // No resourceVersion: synthetic ADDED events for what exists, then changes (API semantics of "any/most recent").
            var (items, rv) = Store.List(route.Resource, route.Namespace, labels);
            initial = items.Select(i => new FakeKubeStore.LogEntry(rv, route.Resource, "", "ADDED", i)).ToList();
            from = rv;
        }
        else from = long.Parse(rvText, CultureInfo.InvariantCulture);

        try { Store.EventsSince(route.Resource, route.Namespace, from, labels); }
        catch (FakeKubeError e) when (e.Code == 410 && _options.GoneAsHttpStatus) { throw; }
        catch (FakeKubeError e) when (e.Code == 410)
        {
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/json";
            await WriteEvent(ctx, "ERROR", e.ToStatus());
            return;
        }

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.FlushAsync();
        Interlocked.Increment(ref ActiveWatches);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stop.Token, _breakWatches.Token);
        cts.CancelAfter(timeout);
        var lastBookmark = DateTime.UtcNow;
        try
        {
            foreach (var e in initial) await WriteEvent(ctx, e.Type, e.Object);
            while (!cts.IsCancellationRequested)
            {
                await _watchGate.Task.WaitAsync(cts.Token);
                var changed = Store.NextChange;
                List<FakeKubeStore.LogEntry> pending;
                long seenThrough;
                try { (pending, seenThrough) = Store.EventsSince(route.Resource, route.Namespace, from, labels); }
                catch (FakeKubeError e) when (e.Code == 410)
                {
                    await WriteEvent(ctx, "ERROR", e.ToStatus());
                    return;
                }
                foreach (var e in pending) await WriteEvent(ctx, e.Type, e.Object);
                from = seenThrough;
                if (bookmarks && DateTime.UtcNow - lastBookmark >= _options.BookmarkInterval)
                {
                    lastBookmark = DateTime.UtcNow;
                    var rv = from;
                    await WriteEvent(ctx, "BOOKMARK", new JsonObject
                    {
                        ["kind"] = FakeKubeStore.Kinds.TryGetValue(route.Resource, out var k) ? k.Kind : route.Resource,
                        ["apiVersion"] = FakeKubeStore.Kinds.TryGetValue(route.Resource, out var k2) ? k2.ApiVersion : "v1",
                        ["metadata"] = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) },
                    });
                }
                try { await changed.WaitAsync(_options.BookmarkInterval, cts.Token); }
                catch (TimeoutException) { }
                catch (OperationCanceledException) { return; }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException) { }
        finally
        {
            Interlocked.Decrement(ref ActiveWatches);
            if (_breakWatches.IsCancellationRequested || cts.IsCancellationRequested) ctx.Abort();
        }
    }

    private static async Task WriteEvent(HttpContext ctx, string type, JsonObject obj)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString() + "\n";
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line));
        await ctx.Response.Body.FlushAsync();
    }

    private static async Task Reply(HttpContext ctx, int code, JsonObject body)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString());
    }

    private static JsonObject ParseJson(string body)
    {
        try { return JsonNode.Parse(body) as JsonObject ?? throw new FakeKubeError(400, "BadRequest", "the body is not a JSON object"); }
        catch (System.Text.Json.JsonException e) { throw new FakeKubeError(400, "BadRequest", $"invalid JSON: {e.Message}"); }
    }

    private static IReadOnlyDictionary<string, string>? ParseSelector(string? selector) =>
        string.IsNullOrEmpty(selector) ? null
            : selector.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");

    /// <summary>apply-patch+yaml bodies are YAML (JSON is YAML): convert to JSON, keeping scalar types as YAML 1.2 core schema reads them.</summary>
    private static JsonObject YamlToJson(string body)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(body));
        var converted = Convert(stream.Documents[0].RootNode) as JsonObject ?? throw new FakeKubeError(400, "BadRequest", "apply body is not an object");
        // Re-parse so numbers are JSON-backed like every other body (explicit casts then work for int and long alike).
        return (JsonObject)JsonNode.Parse(converted.ToJsonString())!;
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, Convert(kv.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(Convert).ToArray()),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } p => p.Value switch
        {
            null or "" or "~" or "null" => null,
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            var v when long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
            var v when double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
            var v => JsonValue.Create(v),
        },
        YamlScalarNode q => JsonValue.Create(q.Value),
        _ => null,
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        BreakWatches();
        try { await _ticker; } catch (OperationCanceledException) { }
        using (var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5))) await _app.StopAsync(stopTimeout.Token);
        await _app.DisposeAsync();
    }
}
