using AgentOps.Workers.Sandbox;
using AgentOps.Workers.Sandbox.Pool;
using AgentOps.Workers.Sandbox.Repl;

namespace AgentOps.Workers.Tests.Sandbox;

/// <summary>One harness and pool (warm 0) per runtime: every case runs in the previous case's recycled sandbox.</summary>
public abstract class SoftResetFixture(string runtime) : IAsyncLifetime
{
    public string Runtime { get; } = runtime;
    public SandboxHarness Harness { get; private set; } = null!;
    public SandboxPool Pool { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Harness = new SandboxHarness(Runtime);
        Pool = new SandboxPool(Harness.Factory, warm: 0, Harness.LoggerFactory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Pool.DisposeAsync();
        await Harness.DisposeAsync();
    }
}

public sealed class ProcessSoftResetFixture() : SoftResetFixture("process");

public sealed class GvisorSoftResetFixture() : SoftResetFixture("gvisor");

/// <summary>
/// The recycle's promise, case by case: whatever a cell changes, the next episode in the same container
/// sees the pristine value; a change the interpreter can undo is undone in-process (soft), anything else
/// forks a fresh interpreter. Each case reads a probe before the change, proves the change took effect
/// within the episode, and reads the probe again in the next episode.
/// </summary>
[Collection(SandboxCollection.Name)]
public abstract class SoftResetTests(SoftResetFixture fx)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(180);

    public static TheoryData<string, string, string, string> Cases => new()
    {
        // name, probe (its repr is compared), the change, the reset kind it must cause
        { "global", "'planted' in globals()", "planted = 1", ResetOutcome.Soft },
        { "imported module", "import sys; 'colorsys' in sys.modules", "import colorsys", ResetOutcome.Soft },
        { "stdlib constant", "import math; math.pi", "import math; math.pi = 3", ResetOutcome.Fork },
        { "stdlib function", "import json; json.dumps({'a': 1})", "import json; json.dumps = lambda *a, **k: 'patched'", ResetOutcome.Fork },
        // (not json's: the driver's own protocol uses json, and a cell that breaks it restarts the interpreter)
        { "stdlib class attribute", "import string; string.Formatter().format('{0}', 1)", "import string; string.Formatter.format_field = lambda self, v, spec: 'patched'", ResetOutcome.Fork },
        { "function code", "import string; string.capwords('a b')", "import string; string.capwords.__code__ = (lambda *a, **k: 'patched').__code__", ResetOutcome.Fork },
        { "builtins", "abs(-1)", "import builtins; builtins.abs = lambda x: 42", ResetOutcome.Fork },
        { "environment", "import os; ('LEFT' in os.environ, os.environ['HOME'] == os.getcwd())", "import os; os.environ['LEFT'] = '1'", ResetOutcome.Soft },
        { "environment behind os.environ", "import os, subprocess, sys; subprocess.run([sys.executable, '-S', '-c', 'import os; print(\"HIDDEN\" in os.environ)'], capture_output=True, text=True).stdout",
            "import os; os.putenv('HIDDEN', '1')", ResetOutcome.Soft },
        { "cwd", "import os; os.getcwd() == os.environ['HOME']", "import os; os.chdir('/tmp')", ResetOutcome.Soft },
        { "umask", "import os; m = os.umask(0o22); os.umask(m); oct(m)", "import os; os.umask(0o077)", ResetOutcome.Soft },
        { "files in workspace and tmp", "import os; (sorted(os.listdir('.')), sorted(os.listdir('/tmp')))",
            "import os; open('left.txt', 'w').write('x'); open('/tmp/left', 'w').write('x'); os.makedirs('locked/in'); os.chmod('locked', 0)", ResetOutcome.Soft },
        { "background thread", "import os; len(os.listdir('/proc/self/task'))",
            "import threading, time; threading.Thread(target=time.sleep, args=(100,), daemon=True).start()", ResetOutcome.Fork },
        { "background process", "import os; sorted(p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid()))",
            "import subprocess, sys; bg = subprocess.Popen([sys.executable, '-S', '-c', 'import time; time.sleep(100)'])", ResetOutcome.Fork },
        { "double-forked process", "import os; sorted(p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid()))",
            "import os, time\npid = os.fork()\nif pid == 0:\n    if os.fork() == 0:\n        time.sleep(100)\n    os._exit(0)\nos.waitpid(pid, 0)", ResetOutcome.Fork },
        { "open fd", "import os; len(os.listdir('/proc/self/fd'))", "import os; kept = os.open('/dev/null', os.O_RDONLY)", ResetOutcome.Fork },
        { "signal handler", "import signal; signal.getsignal(signal.SIGUSR2)", "import signal; signal.signal(signal.SIGUSR2, signal.SIG_IGN)", ResetOutcome.Fork },
        { "lowered rlimit", "import resource; resource.getrlimit(resource.RLIMIT_NOFILE)", "import resource; resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))", ResetOutcome.Fork },
        { "recursion limit", "import sys; sys.getrecursionlimit()", "import sys; sys.setrecursionlimit(100)", ResetOutcome.Fork },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Next_episode_sees_the_pristine_value_and_the_reset_kind_fits_the_change(string name, string probe, string change, string kind)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string before, id;
        PythonSandbox inner;
        await using (var sb = await fx.Pool.AcquireAsync(cts.Token))
        {
            inner = ((PooledSandbox)sb).Inner;
            id = inner.Id;
            before = await Run(sb, probe, cts.Token);
            await Run(sb, change, cts.Token);
            var during = await Run(sb, probe, cts.Token);
            Assert.True(before != during, $"{name}: the change did not take effect within the episode (probe {before})");
        }
        await fx.Pool.WaitRecycledAsync(cts.Token);
        Assert.True(inner.LastReset is not null, $"{name}: sandbox was retired instead of recycled: {RecycleLog()}");
        Assert.True(kind == inner.LastReset.Kind, $"{name}: expected a {kind} reset, got {inner.LastReset}");
        if (kind == ResetOutcome.Fork) Assert.False(string.IsNullOrEmpty(inner.LastReset.Reason), "a fork says why");

        await using (var sb = await fx.Pool.AcquireAsync(cts.Token))
        {
            Assert.Equal(id, ((PooledSandbox)sb).Inner.Id); // the same container, recycled
            Assert.Equal(before, await Run(sb, probe, cts.Token));
        }
        await fx.Pool.WaitRecycledAsync(cts.Token);
        // Reading the probe is a clean episode: that one must be soft.
        Assert.True(inner.LastReset is { Kind: ResetOutcome.Soft }, $"{name}: clean episode after it was reset by {inner.LastReset}");
    }

    [Fact]
    public async Task Clean_episodes_are_soft_resets_counted_by_kind_and_forks_say_why()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        using var measured = new MetricCapture(fx.Harness.Metrics.Meter);
        for (var i = 0; i < 2; i++)
        {
            await using (var sb = await fx.Pool.AcquireAsync(cts.Token))
                Assert.Equal("45\n", (await sb.ExecuteAsync("x = sum(range(10))\nx", cts.Token)).Stdout);
            await fx.Pool.WaitRecycledAsync(cts.Token);
        }
        await using (var sb = await fx.Pool.AcquireAsync(cts.Token))
            await Run(sb, "import math; math.e = 2", cts.Token);
        await fx.Pool.WaitRecycledAsync(cts.Token);
        measured.Collect();
        Assert.Equal(2, measured.Sum("agentops_sandbox_recycles_total", ("runtime", fx.Runtime), ("outcome", "ok"), ("kind", "soft")));
        Assert.Equal(1, measured.Sum("agentops_sandbox_recycles_total", ("runtime", fx.Runtime), ("outcome", "ok"), ("kind", "fork")));
        Assert.Contains(fx.Harness.Logs.Lines, l => l.Contains("recycled by fork reset: module math changed: e replaced", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("import sys; sys._getframe().f_back", "audited event")]        // frames reach the driver's own state
    [InlineData("import gc; gc.get_referents(len)", "audited event")]
    [InlineData("import _csv", "extension module _csv")]                     // C state a soft reset cannot unload
    [InlineData("print('x' * 100000)", "output limit")]
    public async Task What_the_interpreter_cannot_vouch_for_forks_and_says_why(string cell, string reason)
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        PythonSandbox inner;
        await using (var sb = await fx.Pool.AcquireAsync(cts.Token))
        {
            inner = ((PooledSandbox)sb).Inner;
            await sb.ExecuteAsync(cell, cts.Token);
        }
        await fx.Pool.WaitRecycledAsync(cts.Token);
        Assert.True(inner.LastReset is { Kind: ResetOutcome.Fork }, $"expected a fork, got {inner.LastReset}: {RecycleLog()}");
        Assert.Contains(reason, inner.LastReset.Reason ?? "", StringComparison.Ordinal);
    }

    private static async Task<string> Run(ISandbox sb, string code, CancellationToken ct)
    {
        var r = await sb.ExecuteAsync(code, ct);
        Assert.True(r.Ok, $"cell failed: {r.Error}\n{r.Stderr}\n{code}");
        return r.Stdout;
    }

    private string RecycleLog() => string.Join(" | ", fx.Harness.Logs.Lines.Where(l => l.Contains("retired") || l.Contains("recycle")));
}

public sealed class ProcessSoftResetTests(ProcessSoftResetFixture fx) : SoftResetTests(fx), IClassFixture<ProcessSoftResetFixture>;

public sealed class GvisorSoftResetTests(GvisorSoftResetFixture fx) : SoftResetTests(fx), IClassFixture<GvisorSoftResetFixture>;
