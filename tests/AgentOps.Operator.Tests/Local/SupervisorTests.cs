using AgentOps.Operator.Local;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Operator.Tests.Local;

// Real child processes (sh), real signals: the supervisor's restart, give-up and stop-order behaviour.
public sealed class SupervisorTests : IDisposable
{
    private static readonly RestartPolicy Fast = new(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), 5);
    private readonly TempDir _dir = new();

    private Supervisor NewSupervisor(RestartPolicy? policy = null) =>
        new(System.IO.Path.Combine(_dir.Path, "logs"), policy ?? Fast, TimeProvider.System, NullLogger<Supervisor>.Instance);

    private static ChildSpec Sh(string name, string script, int order = 0, double graceSeconds = 10) =>
        new(name, new LaunchCommand("sh", ["-c", script]), [], order, TimeSpan.FromSeconds(graceSeconds));

    [Fact]
    public async Task A_child_that_crashes_is_restarted_with_backoff_and_reported_until_it_finishes()
    {
        var count = System.IO.Path.Combine(_dir.Path, "count");
        // Exits 3 on its first two runs, 0 on the third.
        var script = $"echo run >> {count}; n=$(wc -l < {count}); echo \"attempt $n\"; [ $n -ge 3 ] && exit 0; exit 3";
        await using var supervisor = NewSupervisor();
        supervisor.Start(Sh("crashy", script));

        await supervisor.WaitForCompletionAsync("crashy").WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, supervisor.Restarts("crashy"));
        Assert.Equal(3, File.ReadAllLines(count).Length);
        var restarts = supervisor.Events.Where(e => e.Kind == SupervisorEventKind.Restarting).ToList();
        Assert.Equal(2, restarts.Count);
        Assert.All(restarts, e => Assert.Equal(3, e.ExitCode));
        Assert.StartsWith("exited with code 3; restart 1 in", restarts[0].Message);
        var log = File.ReadAllText(System.IO.Path.Combine(_dir.Path, "logs", "crashy.log"));
        Assert.Contains("attempt 1", log);
        Assert.Contains("attempt 3", log);
        Assert.Equal(SupervisorEventKind.Exited, supervisor.Events.Last().Kind);
    }

    [Fact]
    public async Task A_child_that_keeps_crashing_is_given_up_with_its_exit_code_and_log_tail()
    {
        await using var supervisor = NewSupervisor(Fast with { MaxRestarts = 2 });
        SupervisorEvent? failed = null;
        supervisor.Failed += e => failed = e;
        supervisor.Start(Sh("broken", "echo 'cannot open model file'; exit 4"));

        var error = await Assert.ThrowsAsync<ChildFailedException>(() => supervisor.WaitForCompletionAsync("broken").WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal(4, error.ExitCode);
        Assert.Contains("exited with code 4 (after 2 restarts); giving up", error.Message);
        Assert.Contains("cannot open model file", error.Message);
        Assert.NotNull(failed);
        Assert.Equal(SupervisorEventKind.GaveUp, failed!.Kind);
    }

    [Fact]
    public async Task A_usage_error_exit_code_2_is_not_restarted()
    {
        await using var supervisor = NewSupervisor();
        supervisor.Start(Sh("trainer", "echo 'usage: agentops-trainer [options]' >&2; exit 2"));

        var error = await Assert.ThrowsAsync<ChildFailedException>(() => supervisor.WaitForCompletionAsync("trainer").WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal(0, supervisor.Restarts("trainer"));
        Assert.Contains("exited with code 2 (a usage or manifest error, which a restart cannot fix); giving up", error.Message);
        Assert.Contains("usage: agentops-trainer [options]", error.Message);
    }

    [Fact]
    public async Task Stop_sends_SIGTERM_to_the_trainer_first_and_waits_for_it_before_the_executors()
    {
        var order = System.IO.Path.Combine(_dir.Path, "order");
        await using var supervisor = NewSupervisor();
        // The "trainer" takes a moment to checkpoint on SIGTERM; the executor must still be running then.
        supervisor.Start(Sh("trainer", $"trap 'sleep 0.5; echo trainer >> {order}; exit 0' TERM; while true; do sleep 0.1; done", order: 0));
        supervisor.Start(Sh("executor-0", $"trap 'echo executor >> {order}; exit 0' TERM; while true; do sleep 0.1; done", order: 1));
        await Task.Delay(500);

        await supervisor.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(["trainer", "executor"], File.ReadAllLines(order));
        Assert.True(supervisor.Current("trainer").HasExited);
        Assert.True(supervisor.Current("executor-0").HasExited);
        Assert.DoesNotContain(supervisor.Events, e => e.Kind == SupervisorEventKind.Restarting);
    }

    [Fact]
    public async Task A_child_that_ignores_SIGTERM_is_killed_after_its_grace()
    {
        await using var supervisor = NewSupervisor();
        supervisor.Start(Sh("stubborn", "trap '' TERM; while true; do sleep 0.1; done", graceSeconds: 1));
        await Task.Delay(300);

        await supervisor.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(supervisor.Current("stubborn").HasExited);
        Assert.Equal(137, supervisor.Current("stubborn").ExitCode);
    }

    public void Dispose() => _dir.Dispose();
}
