using System.Text.Json.Nodes;
using AgentOps.Operator.Controller;
using AgentOps.Operator.Kube;
using AgentOps.Operator.Reconcile;
using AgentOps.Protos.Api;
using AgentOps.Testing.Kube;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Operator.Tests.Reconcile;

/// <summary>The operator host running against the fake API server over real HTTP, a real trainer /status listener and a real Redis.</summary>
public sealed class OperatorHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    public FakeKubeApiServer Server { get; private set; } = null!;
    public KubeClient Client { get; private set; } = null!;
    public TrainerStatusServer Trainers { get; private set; } = null!;
    public LocalRedisServer? Redis { get; private set; }
    public OperatorHost Host { get; private set; } = null!;
    public OperatorMetrics Metrics { get; } = new();
    private RedisRunStreamCleaner _cleaner = new();
    private HttpClient _http = new();

    public static async Task<OperatorHarness> StartAsync(bool withRedis = false, FakeKubeOptions? fake = null)
    {
        var h = new OperatorHarness();
        h.Server = await FakeKubeApiServer.StartAsync(fake);
        h.Client = new KubeClient(new KubeConnection { Server = h.Server.Url });
        h.Trainers = await TrainerStatusServer.StartAsync();
        if (withRedis) h.Redis = await LocalRedisServer.StartAsync();
        h.Host = new OperatorHost(h.Client, new OperatorHostOptions
        {
            Identity = "test-operator",
            Reconcile = new ReconcileOptions { ProgressPollInterval = TimeSpan.FromMilliseconds(200) },
        }, new HttpTrainerProgressSource(h._http, h.Trainers.Resolver), h._cleaner, TimeProvider.System, NullLoggerFactory.Instance, h.Metrics);
        h._running = h.Host.RunAsync(h._stop.Token);
        await h.Host.Synced.WaitAsync(TimeSpan.FromSeconds(30));
        return h;
    }

    public static string RunYaml(string name, string extraSpec = "", string ns = "research") => $"""
        apiVersion: agentops.dev/v1alpha1
        kind: TrainingRun
        metadata: {"{"} name: {name}, namespace: {ns} {"}"}
        spec:
          environment: {"{"} name: arithmetic, settings: {"{"} minOps: "2", maxOps: "4" {"}"} {"}"}
        {extraSpec}
        """;

    /// <summary>Creates a TrainingRun from YAML the way kubectl does (YAML to JSON, POST).</summary>
    public async Task<JsonObject> CreateRunAsync(string yaml)
    {
        var json = Manifests.ParseTrainingRun(yaml, rejectUnknownFields: false);
        // Invalid specs must still reach the API server (the CRD schema would catch some; the operator catches the rest).
        var body = json.Value is not null ? JsonNode.Parse(Manifests.ToJson(json.Value))!.AsObject() : YamlToJson(yaml);
        return await Client.CreateAsync(ResourceType.TrainingRun, body, default);
    }

    /// <summary>What kubectl sends: YAML scalars typed by the YAML 1.2 core schema.</summary>
    public static JsonObject YamlToJson(string yaml)
    {
        var stream = new YamlDotNet.RepresentationModel.YamlStream();
        stream.Load(new StringReader(yaml));
        return Convert(stream.Documents[0].RootNode)!.AsObject();

        static JsonNode? Convert(YamlDotNet.RepresentationModel.YamlNode node) => node switch
        {
            YamlDotNet.RepresentationModel.YamlMappingNode m => new JsonObject(m.Children.Select(kv =>
                KeyValuePair.Create(((YamlDotNet.RepresentationModel.YamlScalarNode)kv.Key).Value!, Convert(kv.Value)))),
            YamlDotNet.RepresentationModel.YamlSequenceNode s => new JsonArray(s.Children.Select(Convert).ToArray()),
            YamlDotNet.RepresentationModel.YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } p => p.Value switch
            {
                null or "" or "~" or "null" => null,
                "true" or "false" => JsonNode.Parse(p.Value),
                var v when double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _) => JsonNode.Parse(v),
                var v => JsonValue.Create(v),
            },
            YamlDotNet.RepresentationModel.YamlScalarNode q => JsonValue.Create(q.Value),
            _ => null,
        };
    }

    public Task<JsonObject?> GetAsync(ResourceType type, string ns, string name) => Client.GetAsync(type, ns, name, default);

    public async Task<JsonObject> WaitForAsync(ResourceType type, string ns, string name, Func<JsonObject, bool> condition, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await GetAsync(type, ns, name);
            if (last is not null && condition(last)) return last;
            await Task.Delay(25);
        }
        throw new TimeoutException($"{type.Kind} {ns}/{name} did not reach the condition in {seconds} s; last seen: {last?.ToJsonString()}");
    }

    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what}: not reached in {seconds} s");
            await Task.Delay(25);
        }
    }

    /// <summary>Waits until the work queues are empty and no write happened for a while: the world has converged.</summary>
    public async Task WaitQuietAsync(int quietMs = 600, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var last = Server.MutatingRequests;
        var since = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            var now = Server.MutatingRequests;
            if (now != last || Host.RunQueue.Count > 0 || Host.PoolQueue.Count > 0) { last = now; since = DateTime.UtcNow; continue; }
            if ((DateTime.UtcNow - since).TotalMilliseconds >= quietMs) return;
        }
        throw new TimeoutException($"the operator kept writing for {seconds} s");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _running.WaitAsync(TimeSpan.FromSeconds(30)); } catch (OperationCanceledException) { }
        Client.Dispose();
        await Server.DisposeAsync();
        await Trainers.DisposeAsync();
        _cleaner.Dispose();
        _http.Dispose();
        Redis?.Dispose();
        Metrics.Dispose();
    }
}
