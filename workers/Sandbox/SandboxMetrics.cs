using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace AgentOps.Workers.Sandbox;

/// <summary>Sandbox instruments (meter "AgentOps.Workers.Sandbox"); labels are the runtime and a small fixed
/// set of kill reasons, never per-sandbox ids.</summary>
public sealed class SandboxMetrics : IDisposable
{
    public const string MeterName = "AgentOps.Workers.Sandbox";

    /// <summary>Kill reasons (label values of agentops_sandbox_kills_total).</summary>
    public static class Reasons
    {
        public const string Timeout = "timeout";            // a cell ran past its wall limit: interpreter killed
        public const string EpisodeTimeout = "episode_timeout";
        public const string Memory = "memory";              // MemoryError at RLIMIT_AS, or the interpreter died of it
        public const string Output = "output";              // a cell was stopped at the output cap
        public const string Crash = "crash";                // the interpreter died on its own (os._exit, signal)
        public const string Protocol = "protocol";          // the cell corrupted the driver's result stream
    }

    private readonly Meter _meter;
    private readonly Counter<long> _starts;
    private readonly Histogram<double> _startSeconds;
    private readonly Histogram<double> _cellSeconds;
    private readonly Counter<long> _kills;
    private readonly Counter<long> _recycles;
    private readonly Histogram<double> _recycleSeconds;
    private readonly ConcurrentDictionary<object, Func<(string Runtime, int Warm)>> _pools = new();

    public SandboxMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _starts = _meter.CreateCounter<long>("agentops_sandbox_starts_total", description: "Interpreters started (episodes and restarts).");
        _startSeconds = _meter.CreateHistogram<double>("agentops_sandbox_start_seconds", "s", "Time from launch to the driver's ready banner.");
        _cellSeconds = _meter.CreateHistogram<double>("agentops_sandbox_cell_seconds", "s", "Wall time of one cell, as the executor sees it.");
        _kills = _meter.CreateCounter<long>("agentops_sandbox_kills_total", description: "Cells stopped or interpreters killed at a limit, by reason.");
        _recycles = _meter.CreateCounter<long>("agentops_sandbox_recycles_total", description: "Sandboxes reset for another episode (same container), by outcome; ok ones by kind: soft (verified in-process reset) or fork (fresh interpreter).");
        _recycleSeconds = _meter.CreateHistogram<double>("agentops_sandbox_recycle_seconds", "s", "Time of one successful reset, by kind: soft (restore, verify, wipe) or fork (kill, wipe, fork, ready).");
        _meter.CreateObservableGauge("agentops_sandbox_warm", ObserveWarm, description: "Started sandboxes waiting in warm pools.");
    }

    internal void Started(string runtime, TimeSpan latency)
    {
        var tag = new KeyValuePair<string, object?>("runtime", runtime);
        _starts.Add(1, tag);
        _startSeconds.Record(latency.TotalSeconds, tag);
    }

    /// <param name="kind">"soft" (the interpreter verified and restored itself) or "fork" (fresh interpreter).</param>
    internal void Recycled(string runtime, string kind, TimeSpan latency)
    {
        var tag = new KeyValuePair<string, object?>("runtime", runtime);
        var kindTag = new KeyValuePair<string, object?>("kind", kind);
        _recycles.Add(1, tag, new("outcome", "ok"), kindTag);
        _recycleSeconds.Record(latency.TotalSeconds, tag, kindTag);
    }

    /// <summary>A returned sandbox that was disposed instead of recycled (limit hit, misbehaved, reset failed, worn out).</summary>
    internal void Retired(string runtime) =>
        _recycles.Add(1, new("runtime", runtime), new("outcome", "retired"));

    internal void Cell(string runtime, TimeSpan duration) =>
        _cellSeconds.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("runtime", runtime));

    internal void Kill(string runtime, string reason) =>
        _kills.Add(1, new("runtime", runtime), new("reason", reason));

    internal IDisposable TrackPool(Func<(string Runtime, int Warm)> observe)
    {
        var key = new object();
        _pools[key] = observe;
        return new Untrack(() => _pools.TryRemove(key, out _));
    }

    private IEnumerable<Measurement<int>> ObserveWarm()
    {
        foreach (var group in _pools.Values.Select(f => f()).GroupBy(p => p.Runtime))
            yield return new Measurement<int>(group.Sum(p => p.Warm), new KeyValuePair<string, object?>("runtime", group.Key));
    }

    /// <summary>The meter these instruments live on (a listener can pick this instance out of several).</summary>
    public Meter Meter => _meter;

    public void Dispose() => _meter.Dispose();

    private sealed class Untrack(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
