using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Tests.Sandbox;

/// <summary>Notebook semantics of one episode's interpreter, on each runtime (one sandbox per test).</summary>
[Collection(SandboxCollection.Name)]
public abstract class NotebookSemanticsTests(string runtime) : IAsyncLifetime
{
    private SandboxHarness _harness = null!;

    public Task InitializeAsync()
    {
        _harness = new SandboxHarness(runtime, SandboxHarness.DefaultLimits with { CellTimeoutSeconds = 20, OutputBytes = 4096 });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task State_imports_and_functions_survive_between_cells_and_after_an_error()
    {
        await using var sb = await _harness.StartAsync();
        Assert.Equal(runtime, sb.Runtime);
        var r1 = await sb.ExecuteAsync("import math\nx = 6\ndef sq(v):\n    return v * v\n");
        Assert.True(r1.Ok, r1.Error);
        var r2 = await sb.ExecuteAsync("y = sq(x) + 1\nundefined_name + 1");
        Assert.Equal("NameError: name 'undefined_name' is not defined", r2.Error);
        Assert.Contains("<cell-2>", r2.Traceback);
        Assert.DoesNotContain("repl.py", r2.Traceback);
        var r3 = await sb.ExecuteAsync("print(y, math.isqrt(x * x))\ny");
        Assert.True(r3.Ok, r3.Error);
        Assert.Equal("37 6\n37\n", r3.Stdout);
        Assert.False(r3.Restarted);
        Assert.Equal(1, sb.Starts);
    }

    [Fact]
    public async Task Error_is_one_line_with_a_traceback_of_the_cells_own_frames()
    {
        await using var sb = await _harness.StartAsync();
        await sb.ExecuteAsync("def f(d):\n    return 10 // d\n");
        var r = await sb.ExecuteAsync("print('before')\nf(0)");
        Assert.Equal("ZeroDivisionError: integer division or modulo by zero", r.Error);
        Assert.Equal("before\n", r.Stdout);
        Assert.Contains("<cell-1>\", line 2, in f", r.Traceback);
        Assert.Contains("<cell-2>\", line 2", r.Traceback);
        var syntax = await sb.ExecuteAsync("def broken(:\n  pass");
        Assert.StartsWith("SyntaxError: ", syntax.Error);
        Assert.Contains("(line 1)", syntax.Error);
        var exit = await sb.ExecuteAsync("import sys; sys.exit(3)");
        Assert.Equal("SystemExit: 3", exit.Error);
        Assert.False(exit.Restarted);
        Assert.Equal("ok\n", (await sb.ExecuteAsync("print('ok')")).Stdout);
    }

    [Fact]
    public async Task Stderr_raw_fd_writes_and_stdin_are_the_cells_own_not_the_protocols()
    {
        await using var sb = await _harness.StartAsync();
        var r = await sb.ExecuteAsync(
            "import os, sys\nos.write(1, b'raw-out\\n')\nos.write(2, b'raw-err\\n')\nprint('warn', file=sys.stderr)\n" +
            "print(repr(sys.stdin.read()))\nprint(repr(os.read(0, 10)))");
        Assert.True(r.Ok, r.Error);
        Assert.Contains("raw-out\n", r.Stdout);
        Assert.Contains("''\n", r.Stdout);
        Assert.Contains("b''\n", r.Stdout);
        Assert.Contains("raw-err\n", r.Stderr);
        Assert.Contains("warn\n", r.Stderr);
        // A cell that breaks its own fds does not break the protocol for the next cell.
        var broken = await sb.ExecuteAsync("os.close(1); os.close(2)");
        Assert.True(broken.Ok, broken.Error);
        var after = await sb.ExecuteAsync("os.write(1, b'back\\n'); print('fine')");
        Assert.True(after.Ok, after.Error);
        Assert.Contains("back\n", after.Stdout);
        Assert.Contains("fine\n", after.Stdout);
    }

    [Fact]
    public async Task Output_past_the_cap_is_cut_and_the_cell_is_stopped()
    {
        await using var sb = await _harness.StartAsync();
        var r = await sb.ExecuteAsync("n = 0\nwhile True:\n    print('x' * 100)\n    n += 1");
        Assert.True(r.OutputTruncated);
        Assert.False(r.Restarted);
        Assert.StartsWith("OutputLimitExceeded: cell output exceeded the 4096-byte limit", r.Error);
        Assert.Equal(4096, r.Stdout.Length);
        var n = await sb.ExecuteAsync("n");
        Assert.Equal("40\n", n.Stdout); // 40 lines of 101 bytes fit, the 41st is cut
    }

    [Fact]
    public async Task An_interpreter_that_exits_is_restarted_and_the_cell_says_it_died()
    {
        await using var sb = await _harness.StartAsync();
        var r = await sb.ExecuteAsync("import os\nos._exit(7)");
        Assert.True(r.Restarted);
        Assert.StartsWith("InterpreterDied: the interpreter exited during the cell", r.Error);
        Assert.Equal("3\n", (await sb.ExecuteAsync("1 + 2")).Stdout);
    }
}

[Collection(SandboxCollection.Name)]
public sealed class ProcessNotebookSemanticsTests() : NotebookSemanticsTests("process");

[Collection(SandboxCollection.Name)]
public sealed class GvisorNotebookSemanticsTests() : NotebookSemanticsTests("gvisor");
