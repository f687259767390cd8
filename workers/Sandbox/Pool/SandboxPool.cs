using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AgentOps.Workers.Sandbox.Pool;

/// <summary>
/// Keeps <c>warm</c> started sandboxes ready so an episode does not pay the start-up (bench, 2-core dev
/// box: cold start p50 gVisor 1.3 s, process 0.17 s, up to 6.7 s / 2.3 s under load; a recycle p50 is
/// 0.29 s / 0.04 s). The container is reused across episodes: disposing the lease recycles the
/// sandbox in the background and puts it back warm. The recycle is soft where the interpreter can vouch
/// for itself (it drops the episode's globals and modules, restores environment, cwd and the writable
/// folders and verifies the rest against its start-up snapshot; no fork), else a fork (the supervisor
/// kills every process, wipes /workspace and /tmp and forks a fresh interpreter). A sandbox
/// whose episode hit a limit, whose interpreter misbehaved, whose reset failed or that served
/// <c>maxEpisodes</c> episodes is killed and replaced instead.
/// </summary>
public sealed class SandboxPool : IAsyncDisposable
{
    private readonly SandboxFactory _factory;
    private readonly int _warmTarget;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    // LIFO: the most recently recycled sandbox is the warmest (its pages and the zygote's are resident).
    private readonly ConcurrentStack<PythonSandbox> _warm = new();
    private readonly int _maxEpisodes;
    private readonly CancellationTokenSource _stopping = new();
    private readonly IDisposable _gauge;
    private readonly ConcurrentDictionary<Task, byte> _filling = new();
    private int _starting;
    private int _warmCount;
    private int _leased;
    private int _waiting;

    /// <param name="maxEpisodes">Episodes one sandbox serves before it is replaced (1 = never recycle).</param>
    public SandboxPool(SandboxFactory factory, int warm, ILoggerFactory loggerFactory, TimeProvider? time = null, int maxEpisodes = 200)
    {
        if (warm is < 0 or > 256) throw new ArgumentOutOfRangeException(nameof(warm), warm, "sandbox.warmPerReplica: must be between 0 and 256");
        if (maxEpisodes is < 1 or > 1_000_000) throw new ArgumentOutOfRangeException(nameof(maxEpisodes), maxEpisodes, "sandbox.maxEpisodesPerSandbox: must be between 1 and 1000000");
        _maxEpisodes = maxEpisodes;
        _factory = factory;
        _warmTarget = warm;
        _time = time ?? TimeProvider.System;
        _logger = loggerFactory.CreateLogger("AgentOps.Sandbox.Pool");
        _gauge = factory.Metrics.TrackPool(() => (factory.Runtime, Volatile.Read(ref _warmCount)));
        Refill();
    }

    public string Runtime => _factory.Runtime;

    /// <summary>Started sandboxes waiting to be handed out.</summary>
    public int WarmCount => Volatile.Read(ref _warmCount);

    /// <summary>Sandboxes handed out and not yet returned.</summary>
    public int LeasedCount => Volatile.Read(ref _leased);

    /// <summary>Waits until <paramref name="count"/> sandboxes are warm (tests, benchmarks, readiness).</summary>
    public async Task WaitWarmAsync(int count, CancellationToken cancellationToken = default)
    {
        while (WarmCount < count)
            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A started sandbox for one episode: a warm one, or a freshly started one when none is warm.</summary>
    public async Task<ISandbox> AcquireAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        PythonSandbox? sandbox = null;
        Interlocked.Increment(ref _waiting);
        try
        {
            while (true)
            {
                ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this); // nothing to wait for any more
                if (_warm.TryPop(out var warm))
                {
                    Interlocked.Decrement(ref _warmCount);
                    sandbox = warm;
                    break;
                }
                // A reset or a start already in flight for this caller beats starting another: wait for it. (Every
                // caller of a freshly made pool started its own besides the pool's: 33 starts for 16 episodes.)
                if (Volatile.Read(ref _starting) < Volatile.Read(ref _waiting)) break;
                await Task.Delay(TimeSpan.FromMilliseconds(2), _time, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
        Interlocked.Increment(ref _leased);
        try
        {
            Refill();
            sandbox ??= await _factory.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _leased);
            throw;
        }
        return new PooledSandbox(sandbox, this);
    }

    /// <summary>Waits until no returned sandbox is still being recycled (tests, benchmarks).</summary>
    public async Task WaitRecycledAsync(CancellationToken cancellationToken = default)
    {
        while (Volatile.Read(ref _recycling) > 0)
            await Task.Delay(TimeSpan.FromMilliseconds(10), _time, cancellationToken).ConfigureAwait(false);
    }

    private int _recycling;

    private int MaxWarm => Math.Max(_warmTarget, 1) * 2;

    /// <summary>A lease was disposed: recycle the sandbox off the caller's path, or kill and replace it.</summary>
    internal void Return(PythonSandbox sandbox)
    {
        Interlocked.Increment(ref _starting); // counts towards the warm target while it is being reset
        Interlocked.Decrement(ref _leased);
        Interlocked.Increment(ref _recycling);
        var task = Task.Run(() => RecycleOneAsync(sandbox));
        _filling[task] = 0;
        _ = task.ContinueWith(t => _filling.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task RecycleOneAsync(PythonSandbox sandbox)
    {
        var keep = false;
        try
        {
            string? why;
            if (_stopping.IsCancellationRequested) why = "pool stopping";
            else if (sandbox.Episodes >= _maxEpisodes) why = $"served {sandbox.Episodes} episodes (maxEpisodes {_maxEpisodes})";
            // A recycled sandbox is kept even past the warm target (its start is already paid), up to twice it.
            else if (WarmCount >= MaxWarm) why = $"{WarmCount} already warm (at most {MaxWarm} with warm {_warmTarget})";
            else
            {
                try { why = await sandbox.RecycleAsync(_stopping.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { why = "pool stopping"; }
            }
            if (why is null && !_stopping.IsCancellationRequested)
            {
                _warm.Push(sandbox);
                Interlocked.Increment(ref _warmCount);
                keep = true;
            }
            else
            {
                why ??= "pool stopping";
                _factory.Metrics.Retired(sandbox.Runtime);
                SandboxLog.Retired(_logger, sandbox.Id, sandbox.Episodes, why);
            }
        }
        finally
        {
            if (!keep) await sandbox.DisposeAsync().ConfigureAwait(false);
            Interlocked.Decrement(ref _starting);
            Interlocked.Decrement(ref _recycling);
            if (!keep) Refill();
        }
    }

    /// <summary>
    /// Starts sandboxes until warm, starting (or being recycled) and leased ones reach the warm target. Leased ones
    /// count: each comes back within tens of milliseconds of its episode's end, so an executor running as many
    /// episodes as the target needs no more. (Not counting them kept a second set starting beside the leased one:
    /// 64 scripted episodes with 16 in flight took 13.2 s and 5.6 s of CPU, against 1.4 s and 0.9 s one at a time.)
    /// </summary>
    private void Refill()
    {
        if (_stopping.IsCancellationRequested) return;
        while (true)
        {
            var starting = Volatile.Read(ref _starting);
            if (WarmCount + starting + LeasedCount >= _warmTarget) return;
            if (Interlocked.CompareExchange(ref _starting, starting + 1, starting) != starting) continue;
            // On the thread pool: Process.Start forks synchronously (tens of ms), which must not sit on Acquire's path.
            var task = Task.Run(StartOneAsync);
            _filling[task] = 0;
            _ = task.ContinueWith(t => _filling.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task StartOneAsync()
    {
        var delay = TimeSpan.FromSeconds(1);
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                try
                {
                    var sandbox = await _factory.StartAsync(_stopping.Token).ConfigureAwait(false);
                    if (_stopping.IsCancellationRequested)
                    {
                        await sandbox.DisposeAsync().ConfigureAwait(false);
                        return;
                    }
                    _warm.Push(sandbox);
                    Interlocked.Increment(ref _warmCount);
                    return;
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    SandboxLog.WarmStartFailed(_logger, e, delay.TotalSeconds);
                    // Not in flight while it backs off: a waiting caller starts its own and gets the error itself.
                    Interlocked.Decrement(ref _starting);
                    try { await Task.Delay(delay, _time, _stopping.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) { Interlocked.Increment(ref _starting); return; }
                    Interlocked.Increment(ref _starting);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _starting);
        }
    }

    /// <summary>Stops refilling, waits for starts in flight and kills every warm sandbox.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        await Task.WhenAll(_filling.Keys).ConfigureAwait(false);
        // Each kill waits for its processes to exit: together, not one after another (32 warm sandboxes took 4 s).
        var warm = new List<PythonSandbox>();
        while (_warm.TryPop(out var s))
        {
            Interlocked.Decrement(ref _warmCount);
            warm.Add(s);
        }
        await Task.WhenAll(warm.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
        _gauge.Dispose();
        _stopping.Dispose();
    }
}
