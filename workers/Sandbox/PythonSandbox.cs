using System.Diagnostics;
using AgentOps.Workers.Sandbox.Repl;
using Microsoft.Extensions.Logging;

namespace AgentOps.Workers.Sandbox;

/// <summary>
/// One episode's interpreter (Jupyter-kernel-like: one process, many cells, shared globals) over either
/// runtime. A cell past its time limit, a dead interpreter or a corrupted result stream kill the
/// interpreter and start a fresh one (<see cref="CellResult.Restarted"/>); past the episode limit the
/// sandbox stops for good and every further cell gets the same error.
/// </summary>
public sealed class PythonSandbox : ISandbox
{
    private readonly ISandboxRuntime _runtime;
    private readonly SandboxLimits _limits;
    private readonly SandboxMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private InterpreterProcess? _interp;
    private long _nextCell;
    private long _episodeStart = -1;
    private bool _episodeOver;
    private bool _misbehaved;
    private bool _disposed;

    internal PythonSandbox(ISandboxRuntime runtime, SandboxLimits limits, SandboxMetrics metrics, TimeProvider time, ILogger logger)
    {
        _runtime = runtime;
        _limits = limits;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        Id = $"{runtime.Name}-{Guid.NewGuid():N}"[..24];
    }

    public string Id { get; }

    public string Runtime => _runtime.Name;

    /// <summary>Interpreters started so far (1 + restarts).</summary>
    public int Starts { get; private set; }

    /// <summary>How the last recycle went (null before the first): soft or fork, and why it forked.</summary>
    internal ResetOutcome? LastReset { get; private set; }

    /// <summary>Episodes this sandbox has served (1 + recycles).</summary>
    public int Episodes { get; private set; } = 1;

    /// <summary>
    /// Gets the sandbox ready for another episode without a new container (no variable, module patch, file,
    /// environment change, process or open file survives). Soft where the episode left nothing the
    /// interpreter cannot undo: it drops globals and new modules, restores environment, cwd, umask and the
    /// writable folders in-process and verifies the rest against its start-up snapshot, and the supervisor
    /// checks processes and threads from outside. Otherwise a fork: the supervisor kills the interpreter and
    /// every process it started, empties the writable folders and forks a fresh interpreter. Returns why it
    /// must NOT be reused instead (then the caller disposes it): the episode hit its time limit, the
    /// interpreter was restarted or ran out of memory, the reset failed, or the runtime cannot isolate.
    /// </summary>
    internal async Task<string?> RecycleAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_disposed) return "disposed";
            if (_episodeOver) return "episode time limit";
            if (_misbehaved) return "interpreter restarted or ran out of memory";
            if (_interp is not { } interp) return "interpreter stopped";
            if (!interp.Isolated) return "no PID namespace of its own (unprivileged process runtime)";
            if (interp.HasExited) return "interpreter exited";
            var start = _time.GetTimestamp();
            ResetOutcome outcome;
            try
            {
                outcome = await interp.ResetAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SandboxUnavailableException or IOException)
            {
                SandboxLog.Killed(_logger, Id, "recycle", e.Message);
                return "reset failed: " + e.Message;
            }
            _metrics.Recycled(Runtime, outcome.Kind, _time.GetElapsedTime(start));
            SandboxLog.Recycled(_logger, Id, outcome.Kind, outcome.Reason ?? "verified pristine in-process");
            LastReset = outcome;
            _episodeStart = -1;
            Episodes++;
            return null;
        }
        finally { _gate.Release(); }
    }

    /// <summary>Starts the interpreter now (the pool does this ahead of time); the episode clock starts
    /// at the first cell.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _interp ??= await LaunchAsync(cancellationToken).ConfigureAwait(false);
        }
        finally { _gate.Release(); }
    }

    public async Task<CellResult> ExecuteAsync(string code, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_episodeStart < 0) _episodeStart = _time.GetTimestamp();
            var start = _time.GetTimestamp();
            var remaining = _limits.EpisodeTimeout - _time.GetElapsedTime(_episodeStart);
            if (_episodeOver || remaining <= TimeSpan.Zero)
                return await EndEpisodeAsync(start).ConfigureAwait(false);

            _interp ??= await LaunchAsync(cancellationToken).ConfigureAwait(false);
            var episodeBound = remaining < _limits.CellTimeout;
            var timeout = episodeBound ? remaining : _limits.CellTimeout;
            var id = ++_nextCell;
            var interp = _interp;

            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task<CellFrame?> run = RunAsync(interp, id, code, cts.Token);
            var winner = await Task.WhenAny(run, Task.Delay(timeout, _time, cts.Token)).ConfigureAwait(false);
            if (winner != run)
            {
                cts.Cancel();
                await KillAsync(interp).ConfigureAwait(false);
                await Observe(run).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (episodeBound)
                {
                    _metrics.Kill(Runtime, SandboxMetrics.Reasons.EpisodeTimeout);
                    return await EndEpisodeAsync(start).ConfigureAwait(false);
                }
                _metrics.Kill(Runtime, SandboxMetrics.Reasons.Timeout);
                SandboxLog.Killed(_logger, Id, SandboxMetrics.Reasons.Timeout, $"cell ran past {Seconds(timeout)} s");
                await RestartAsync(cancellationToken).ConfigureAwait(false);
                return Finish(start, new CellResult("", "",
                    $"TimeoutError: cell exceeded the {Seconds(timeout)} s time limit (sandbox.limits.cellTimeoutSeconds); " +
                    "the interpreter was restarted, so variables, imports and files from earlier cells are gone",
                    TimeSpan.Zero, TimedOut: true, Restarted: true));
            }

            CellFrame? frame;
            try
            {
                frame = await run.ConfigureAwait(false);
            }
            catch (SandboxProtocolException e)
            {
                var reason = e.Oversized ? SandboxMetrics.Reasons.Output : SandboxMetrics.Reasons.Protocol;
                _metrics.Kill(Runtime, reason);
                SandboxLog.Killed(_logger, Id, reason, e.Message);
                await KillAsync(interp).ConfigureAwait(false);
                await RestartAsync(cancellationToken).ConfigureAwait(false);
                return Finish(start, new CellResult("", "",
                    $"SandboxError: the cell corrupted the interpreter's result stream ({e.Message}); " +
                    "the interpreter was restarted, so earlier state is gone", TimeSpan.Zero, Restarted: true));
            }
            catch (OperationCanceledException)
            {
                _misbehaved = true;
                await KillAsync(interp).ConfigureAwait(false); // mid-cell: the next cell gets a fresh interpreter
                throw;
            }
            catch (IOException e)
            {
                frame = null; // stdin closed under us: the interpreter is gone
                SandboxLog.Killed(_logger, Id, SandboxMetrics.Reasons.Crash, e.Message);
            }

            if (frame is null)
            {
                await interp.WaitExitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                var how = interp.ExitDescription;
                var tail = interp.StderrTail.Trim();
                await KillAsync(interp).ConfigureAwait(false);
                _metrics.Kill(Runtime, SandboxMetrics.Reasons.Crash);
                SandboxLog.Killed(_logger, Id, SandboxMetrics.Reasons.Crash, $"{how}; stderr: {tail}");
                await RestartAsync(cancellationToken).ConfigureAwait(false);
                return Finish(start, new CellResult("", tail.Length > 2000 ? tail[^2000..] : tail,
                    $"InterpreterDied: the interpreter exited during the cell ({how}); " +
                    "it was restarted, so variables, imports and files from earlier cells are gone",
                    TimeSpan.Zero, Restarted: true));
            }

            if (frame.OutputLimit) _metrics.Kill(Runtime, SandboxMetrics.Reasons.Output);
            if (frame.Memory)
            {
                _metrics.Kill(Runtime, SandboxMetrics.Reasons.Memory);
                _misbehaved = true;
            }
            return Finish(start, new CellResult(frame.Stdout, frame.Stderr, frame.Error, TimeSpan.Zero,
                OutputTruncated: frame.Truncated, Traceback: frame.Traceback));
        }
        finally { _gate.Release(); }
    }

    private static async Task<CellFrame?> RunAsync(InterpreterProcess interp, long id, string code, CancellationToken ct)
    {
        try
        {
            await interp.SendAsync(id, code, ct).ConfigureAwait(false);
        }
        catch (IOException)
        {
            return null; // the interpreter died between cells; reported as a crash
        }
        return await interp.ReadResultAsync(id, ct).ConfigureAwait(false);
    }

    private async Task<CellResult> EndEpisodeAsync(long start)
    {
        _episodeOver = true;
        if (_interp is { } interp)
        {
            _interp = null;
            await interp.DisposeAsync().ConfigureAwait(false);
        }
        return Finish(start, new CellResult("", "",
            $"TimeoutError: the episode exceeded its {Seconds(_limits.EpisodeTimeout)} s time limit " +
            "(sandbox.limits.episodeTimeoutSeconds); the sandbox was stopped", TimeSpan.Zero, TimedOut: true));
    }

    private CellResult Finish(long start, CellResult result)
    {
        var elapsed = _time.GetElapsedTime(start);
        _metrics.Cell(Runtime, elapsed);
        return result with { Duration = elapsed };
    }

    private async Task KillAsync(InterpreterProcess interp)
    {
        if (ReferenceEquals(_interp, interp)) _interp = null;
        await interp.DisposeAsync().ConfigureAwait(false);
    }

    private async Task RestartAsync(CancellationToken cancellationToken)
    {
        _misbehaved = true;
        _interp = await LaunchAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<InterpreterProcess> LaunchAsync(CancellationToken cancellationToken)
    {
        var start = _time.GetTimestamp();
        var interp = await _runtime.StartAsync($"{Id}-{Starts}", cancellationToken).ConfigureAwait(false);
        Starts++;
        _metrics.Started(Runtime, _time.GetElapsedTime(start));
        return interp;
    }

    private static async Task Observe(Task t)
    {
        try { await t.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
        catch (Exception) { } // the read we abandoned after killing its interpreter: its outcome is moot
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed) return;
            _disposed = true;
            if (_interp is { } interp)
            {
                _interp = null;
                await interp.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally { _gate.Release(); }
    }
}
