using System.Diagnostics.Metrics;
using AgentOps.Workers.Sandbox;
using AgentOps.Workers.Sandbox.Pool;

namespace AgentOps.Workers.Tests.Sandbox;

[Collection(SandboxCollection.Name)]
public sealed class SandboxPoolTests : IAsyncLifetime
{
    private SandboxHarness _harness = null!;

    public Task InitializeAsync()
    {
        _harness = new SandboxHarness("process");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Pool_keeps_sandboxes_warm_hands_each_out_once_and_replaces_it()
    {
        using var measured = new MetricCapture(_harness.Metrics.Meter);
        await using var pool = new SandboxPool(_harness.Factory, warm: 2, _harness.LoggerFactory);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await pool.WaitWarmAsync(2, wait.Token);
        measured.Collect();
        Assert.Equal(2, measured.Last("agentops_sandbox_warm"));

        var ids = new HashSet<string>();
        for (var episode = 0; episode < 3; episode++)
        {
            await using var sb = await pool.AcquireAsync(wait.Token);
            Assert.True(ids.Add(((PythonSandbox)sb).Id), "sandbox handed out twice");
            // Never reuse an interpreter: the previous episode's variable and file must not be here.
            var leak = await sb.ExecuteAsync("import os\nprint(os.listdir('.'))\nsecret_from_last_episode");
            Assert.Equal("NameError: name 'secret_from_last_episode' is not defined", leak.Error);
            Assert.Equal("[]\n", leak.Stdout);
            var plant = await sb.ExecuteAsync("secret_from_last_episode = 1\nopen('left-behind.txt', 'w').write('x')");
            Assert.True(plant.Ok, plant.Error);
        }
        await pool.WaitWarmAsync(2, wait.Token);
        measured.Collect();
        Assert.True(measured.Sum("agentops_sandbox_starts_total") >= 5, "2 warm + 3 replacements");
        Assert.True(measured.Count("agentops_sandbox_start_seconds") >= 5);
        Assert.True(measured.Count("agentops_sandbox_cell_seconds") >= 6, "2 cells in each of 3 episodes");
    }

    [Fact]
    public async Task Acquire_with_nothing_warm_starts_one_and_pool_of_zero_still_works()
    {
        await using var pool = new SandboxPool(_harness.Factory, warm: 0, _harness.LoggerFactory);
        Assert.Equal(0, pool.WarmCount);
        await using var sb = await pool.AcquireAsync();
        Assert.Equal("2\n", (await sb.ExecuteAsync("1 + 1")).Stdout);
        Assert.Equal(0, pool.WarmCount);
    }

    [Fact]
    public async Task Timeout_kills_are_counted_by_reason()
    {
        await using var h = new SandboxHarness("process", SandboxHarness.DefaultLimits with { CellTimeoutSeconds = 2 });
        using var measured = new MetricCapture(h.Metrics.Meter);
        await using var sb = await h.StartAsync();
        var r = await sb.ExecuteAsync("import time; time.sleep(60)");
        Assert.True(r.TimedOut);
        Assert.Equal(1, measured.Sum("agentops_sandbox_kills_total", ("reason", "timeout")));
        var m = await sb.ExecuteAsync("b = bytearray(1 << 30)");
        Assert.Equal("MemoryError", m.Error);
        Assert.Equal(1, measured.Sum("agentops_sandbox_kills_total", ("reason", "memory")));
    }
}

/// <summary>A real MeterListener over the sandbox meter: what a Prometheus exporter would see.</summary>
internal sealed class MetricCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> _values = [];

    public MetricCapture(Meter meter)
    {
        _listener.InstrumentPublished = (i, l) => { if (ReferenceEquals(i.Meter, meter)) l.EnableMeasurementEvents(i); };
        _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i.Name, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i.Name, v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, _) => Add(i.Name, v, t));
        _listener.Start();
    }

    private void Add(string name, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (_values) _values.Add((name, v, tags.ToArray()));
    }

    public void Collect() => _listener.RecordObservableInstruments();

    public double Sum(string name, params (string Key, string Value)[] tags)
    {
        lock (_values)
            return _values.Where(v => v.Name == name && tags.All(t => v.Tags.Any(x => x.Key == t.Key && (string?)x.Value == t.Value))).Sum(v => v.Value);
    }

    public int Count(string name) { lock (_values) return _values.Count(v => v.Name == name); }

    public double Last(string name) { lock (_values) return _values.Last(v => v.Name == name).Value; }

    public void Dispose() => _listener.Dispose();
}
