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

    /// <summary>Everything an episode can leave behind; the next episode in the same (recycled) container
    /// must see none of it.</summary>
    internal const string PlantEverything = """
        import os, sys, json, subprocess, time
        secret_from_last_episode = 1
        json.dumps = lambda *a, **k: 'patched'
        sys.modules['planted_module'] = json
        open('left-behind.txt', 'w').write('x')
        os.makedirs('locked/inner'); open('locked/inner/f', 'w').write('y'); os.chmod('locked', 0)
        open('/tmp/left-in-tmp', 'w').write('x')
        os.environ['LEFT_BEHIND'] = '1'
        held = open('held-open.txt', 'w'); held.write('partial')
        # (the gVisor root has no /bin/sleep: the interpreter itself is the background process)
        bg = subprocess.Popen([sys.executable, '-S', '-c', 'import time; time.sleep(100)'])
        escaped = subprocess.Popen([sys.executable, '-S', '-c', 'import time; time.sleep(101)'], start_new_session=True)
        pid = os.fork()
        if pid == 0:
            time.sleep(100)
            os._exit(0)
        print('planted')
        """;

    internal const string CheckNothingLeft = """
        import os, sys, json
        found = []
        if 'secret_from_last_episode' in globals(): found.append('variable')
        if json.dumps({}) != '{}': found.append('monkeypatch')
        if 'planted_module' in sys.modules: found.append('module')
        if os.listdir('.'): found.append('workspace:' + ','.join(os.listdir('.')))
        if os.listdir('/tmp'): found.append('tmp:' + ','.join(os.listdir('/tmp')))
        if 'LEFT_BEHIND' in os.environ: found.append('env')
        others = []
        for p in os.listdir('/proc'):
            if p.isdigit() and int(p) not in (1, os.getpid()):
                try: others.append(open('/proc/%s/cmdline' % p, 'rb').read().replace(b'\0', b' ').decode())
                except OSError: pass
        if others: found.append('processes:' + '|'.join(others))
        print(found)
        """;

    [Theory]
    [InlineData("process")]
    [InlineData("gvisor")]
    public async Task Pool_recycles_the_container_with_a_fresh_interpreter_and_nothing_leaks(string runtime)
    {
        await using var harness = new SandboxHarness(runtime);
        using var measured = new MetricCapture(harness.Metrics.Meter);
        // warm 0: no background start competes with the recycled sandbox, so each episode gets it back.
        await using var pool = new SandboxPool(harness.Factory, warm: 0, harness.LoggerFactory);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        var ids = new List<string>();
        var interpreters = new HashSet<string>();
        for (var episode = 0; episode < 3; episode++)
        {
            await using (var sb = await pool.AcquireAsync(wait.Token))
            {
                ids.Add(((PooledSandbox)sb).Inner.Id);
                var check = await sb.ExecuteAsync(CheckNothingLeft, wait.Token);
                Assert.True(check.Ok, check.Error);
                Assert.Equal("[]\n", check.Stdout);
                // pid + start time (clock ticks since boot): pids alone may be reused inside a namespace.
                var pid = await sb.ExecuteAsync("import os; (os.getpid(), open('/proc/self/stat').read().rsplit(')', 1)[1].split()[19])", wait.Token);
                Assert.True(interpreters.Add(pid.Stdout), $"interpreter (pid, start) {pid.Stdout.Trim()} served two episodes");
                var plant = await sb.ExecuteAsync(PlantEverything, wait.Token);
                Assert.True(plant.Ok, plant.Error + plant.Stderr);
                Assert.Equal("planted\n", plant.Stdout);
            }
            await pool.WaitRecycledAsync(wait.Token);
        }
        // One container served all three episodes: the recycle kept it instead of starting new ones.
        Assert.True(ids.Distinct().Count() == 1, "recycle refused: " + string.Join(" | ", harness.Logs.Lines.Where(l => l.Contains("retired") || l.Contains("recycle"))));
        measured.Collect();
        // Three returns, three recycles (the last one leaves it warm), and a single interpreter start via the runtime.
        Assert.Equal((3.0, 3, 1.0), (measured.Sum("agentops_sandbox_recycles_total", ("outcome", "ok")),
            measured.Count("agentops_sandbox_recycle_seconds"), measured.Sum("agentops_sandbox_starts_total")));
    }

    [Fact]
    public async Task Sandbox_is_replaced_after_max_episodes_or_when_its_episode_misbehaved()
    {
        using var measured = new MetricCapture(_harness.Metrics.Meter);
        await using var pool = new SandboxPool(_harness.Factory, warm: 0, _harness.LoggerFactory, maxEpisodes: 2);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var ids = new List<string>();
        for (var episode = 0; episode < 3; episode++)
        {
            await using (var sb = await pool.AcquireAsync(wait.Token))
            {
                ids.Add(((PooledSandbox)sb).Inner.Id);
                Assert.Equal("2\n", (await sb.ExecuteAsync("1 + 1", wait.Token)).Stdout);
            }
            await pool.WaitRecycledAsync(wait.Token);
        }
        Assert.Equal(ids[0], ids[1]);
        Assert.NotEqual(ids[1], ids[2]); // the third episode would have been the first sandbox's third

        // A crashed interpreter (restarted mid-episode) retires its sandbox instead of recycling it.
        string crashed;
        await using (var sb = await pool.AcquireAsync(wait.Token))
        {
            crashed = ((PooledSandbox)sb).Inner.Id;
            var r = await sb.ExecuteAsync("import os; os._exit(7)", wait.Token);
            Assert.True(r.Restarted, r.Error);
        }
        await pool.WaitRecycledAsync(wait.Token);
        await using (var sb = await pool.AcquireAsync(wait.Token))
        {
            Assert.NotEqual(crashed, ((PooledSandbox)sb).Inner.Id);
            Assert.Equal("2\n", (await sb.ExecuteAsync("1 + 1", wait.Token)).Stdout);
        }
        measured.Collect();
        Assert.True(measured.Sum("agentops_sandbox_recycles_total", ("outcome", "retired")) >= 2, "max episodes + crash");
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
    public async Task As_many_episodes_as_the_warm_target_start_that_many_sandboxes_and_reuse_them()
    {
        using var measured = new MetricCapture(_harness.Metrics.Meter);
        await using var pool = new SandboxPool(_harness.Factory, warm: 3, _harness.LoggerFactory);
        // Three callers at once on a pool still starting: they wait for its three starts instead of adding their own,
        // and while they hold them nothing more is started (leased sandboxes count towards the target).
        for (var round = 0; round < 3; round++)
        {
            var leases = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => pool.AcquireAsync()));
            Assert.Equal(3, pool.LeasedCount);
            foreach (var sb in leases) Assert.Equal("2\n", (await sb.ExecuteAsync("1 + 1")).Stdout);
            foreach (var sb in leases) await sb.DisposeAsync();
            Assert.Equal(0, pool.LeasedCount);
            await pool.WaitRecycledAsync();
        }
        Assert.Equal(3, pool.WarmCount);
        Assert.Equal(3, measured.Sum("agentops_sandbox_starts_total"));
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
