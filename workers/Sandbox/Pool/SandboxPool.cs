using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AgentOps.Workers.Sandbox.Pool;

/// <summary>
/// Keeps <c>warm</c> started sandboxes ready so an episode does not pay the start-up (gVisor ~1.5 s here).
/// A sandbox is handed out once and never reused: disposing the lease kills it, and every hand-out
/// starts a replacement in the background.
/// </summary>
public sealed class SandboxPool : IAsyncDisposable
{
    private readonly SandboxFactory _factory;
    private readonly int _warmTarget;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<PythonSandbox> _warm = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly IDisposable _gauge;
    private readonly ConcurrentDictionary<Task, byte> _filling = new();
    private int _starting;
    private int _warmCount;

    public SandboxPool(SandboxFactory factory, int warm, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        if (warm is < 0 or > 256) throw new ArgumentOutOfRangeException(nameof(warm), warm, "sandbox.warmPerReplica: must be between 0 and 256");
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
        if (_warm.TryDequeue(out var warm))
        {
            Interlocked.Decrement(ref _warmCount);
            sandbox = warm;
        }
        Refill();
        sandbox ??= await _factory.StartAsync(cancellationToken).ConfigureAwait(false);
        return sandbox;
    }

    private void Refill()
    {
        if (_stopping.IsCancellationRequested) return;
        while (true)
        {
            var starting = Volatile.Read(ref _starting);
            if (WarmCount + starting >= _warmTarget) return;
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
                    _warm.Enqueue(sandbox);
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
                    try { await Task.Delay(delay, _time, _stopping.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) { return; }
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
        while (_warm.TryDequeue(out var s))
        {
            Interlocked.Decrement(ref _warmCount);
            await s.DisposeAsync().ConfigureAwait(false);
        }
        _gauge.Dispose();
        _stopping.Dispose();
    }
}
