using AgentOps.Operator.Kube;

namespace AgentOps.Operator.Reconcile;

/// <summary>Everything a reconciler needs, built once by the operator host (or a test).</summary>
public sealed record ReconcileContext(
    KubeClient Client,
    ClusterView View,
    ChildApplier Applier,
    EventRecorder Events,
    TimeProvider Time,
    ReconcileOptions Options,
    ITrainerProgressSource Progress,
    IRunStreamCleaner StreamCleaner)
{
    /// <summary>When each run's trainer /status is next read.</summary>
    public ProgressPollSchedule ProgressPolls { get; } = new(Time, Options.ProgressPollInterval);

    /// <summary>Status writes made (tests and the bench read it).</summary>
    public StatusWriteCounter StatusWrites { get; } = new();

    public string Now() => Time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class StatusWriteCounter
{
    private long _count;
    public long Count => Interlocked.Read(ref _count);
    public void Increment() => Interlocked.Increment(ref _count);
}
