using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AgentOps.Operator.Local;

/// <summary>
/// Keeps a run's local processes alive: a child that exits non-zero is restarted with backoff and reported;
/// one that exits 0 has finished. Stops them in <see cref="ChildSpec.StopOrder"/> (trainer first).
/// </summary>
public sealed partial class Supervisor : IAsyncDisposable
{
    private readonly string _logDir;
    private readonly RestartPolicy _policy;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Slot> _slots = new();
    private readonly ConcurrentQueue<SupervisorEvent> _events = new();
    private readonly CancellationTokenSource _stopping = new();

    public Supervisor(string logDir, RestartPolicy policy, TimeProvider time, ILogger<Supervisor> logger)
    {
        _logDir = logDir;
        _policy = policy;
        _time = time;
        _logger = logger;
    }

    public IReadOnlyCollection<SupervisorEvent> Events => _events.ToArray();

    /// <summary>A child gave up after too many restarts: the run cannot go on.</summary>
    public event Action<SupervisorEvent>? Failed;

    public ChildProcess Current(string name) => _slots[name].Process;

    public int Restarts(string name) => _slots[name].Restarts;

    public void Start(ChildSpec spec)
    {
        var process = ChildProcess.Start(spec, _logDir);
        var slot = new Slot(spec, process);
        if (!_slots.TryAdd(spec.Name, slot))
        {
            process.Dispose();
            throw new InvalidOperationException($"child {spec.Name}: already started");
        }
        Record(spec.Name, SupervisorEventKind.Started, null, $"pid {process.Pid}, log {process.LogPath}");
        LogStarted(spec.Name, process.Pid, process.LogPath);
        slot.Watch = WatchAsync(slot);
    }

    /// <summary>Completes when the child has exited 0, or throws when it gave up after too many restarts.</summary>
    public Task WaitForCompletionAsync(string name) => _slots[name].Completion.Task;

    private async Task WatchAsync(Slot slot)
    {
        while (true)
        {
            await slot.Process.WaitForExitAsync(CancellationToken.None);
            var code = slot.Process.ExitCode;
            if (_stopping.IsCancellationRequested)
            {
                Record(slot.Spec.Name, SupervisorEventKind.Exited, code, "stopped");
                slot.Completion.TrySetResult();
                return;
            }
            if (code == 0)
            {
                Record(slot.Spec.Name, SupervisorEventKind.Exited, code, "finished");
                LogFinished(slot.Spec.Name);
                slot.Completion.TrySetResult();
                return;
            }
            if (slot.Restarts >= _policy.MaxRestarts || code == RestartPolicy.UsageErrorExitCode)
            {
                var why = code == RestartPolicy.UsageErrorExitCode ? "a usage or manifest error, which a restart cannot fix" : $"after {slot.Restarts} restarts";
                var message = $"exited with code {code} ({why}); giving up. Last lines of {slot.Process.LogPath}:\n{slot.Process.Tail()}";
                var e = Record(slot.Spec.Name, SupervisorEventKind.GaveUp, code, message);
                LogGaveUp(slot.Spec.Name, code, slot.Restarts, slot.Process.LogPath);
                slot.Completion.TrySetException(new ChildFailedException(slot.Spec.Name, code, message));
                Failed?.Invoke(e);
                return;
            }
            var backoff = _policy.BackoffFor(slot.Restarts);
            slot.Restarts++;
            Record(slot.Spec.Name, SupervisorEventKind.Restarting, code, $"exited with code {code}; restart {slot.Restarts} in {backoff.TotalSeconds:0.#}s");
            LogRestarting(slot.Spec.Name, code, slot.Restarts, backoff.TotalSeconds, slot.Process.LogPath);
            try
            {
                await Task.Delay(backoff, _time, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                slot.Completion.TrySetResult();
                return;
            }
            slot.Process.Dispose();
            slot.Process = ChildProcess.Start(slot.Spec, _logDir);
            Record(slot.Spec.Name, SupervisorEventKind.Started, null, $"pid {slot.Process.Pid} (restart {slot.Restarts})");
        }
    }

    /// <summary>Stops every child: lowest StopOrder first, each group SIGTERM then SIGKILL after its grace.</summary>
    public async Task StopAsync()
    {
        _stopping.Cancel();
        foreach (var group in _slots.Values.GroupBy(s => s.Spec.StopOrder).OrderBy(g => g.Key))
        {
            await Task.WhenAll(group.Select(s => s.Process.StopAsync()));
            await Task.WhenAll(group.Select(s => s.Watch ?? Task.CompletedTask));
        }
    }

    private SupervisorEvent Record(string child, SupervisorEventKind kind, int? code, string message)
    {
        var e = new SupervisorEvent(_time.GetUtcNow(), child, kind, code, message);
        _events.Enqueue(e);
        return e;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested) await StopAsync();
        foreach (var s in _slots.Values) s.Process.Dispose();
        _stopping.Dispose();
    }

    private sealed class Slot(ChildSpec spec, ChildProcess process)
    {
        public ChildSpec Spec { get; } = spec;
        public ChildProcess Process { get; set; } = process;
        public int Restarts { get; set; }
        public Task? Watch { get; set; }
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "started {Child} (pid {Pid}), log {Log}")]
    private partial void LogStarted(string child, int pid, string log);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Child} finished")]
    private partial void LogFinished(string child);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Child} exited with code {Code}; restart {Restart} in {BackoffSeconds:0.#}s (log {Log})")]
    private partial void LogRestarting(string child, int code, int restart, double backoffSeconds, string log);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Child} exited with code {Code} after {Restarts} restarts; giving up (log {Log})")]
    private partial void LogGaveUp(string child, int code, int restarts, string log);
}

public sealed class ChildFailedException(string child, int exitCode, string message) : Exception($"{child}: {message}")
{
    public string Child { get; } = child;
    public int ExitCode { get; } = exitCode;
}
