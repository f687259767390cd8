using System.Diagnostics.Metrics;

namespace AgentOps.Trainer.Training;

/// <summary>
/// The trainer's instruments (System.Diagnostics.Metrics, meter "AgentOps.Trainer"), exported as
/// agentops_trainer_* by the metrics server. Gauges show the last step's value; counters are cumulative.
/// </summary>
public sealed class TrainerMetrics : IDisposable
{
    public const string MeterName = "AgentOps.Trainer";
    private readonly Meter _meter = new(MeterName);
    private IReadOnlyDictionary<string, double> _last = new Dictionary<string, double>();
    private long _step;
    private long _version;
    private int _phase;

    private readonly Counter<long> _steps;
    private readonly Counter<long> _trajectories;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _skipped;
    private readonly Histogram<double> _stepSeconds;

    public TrainerMetrics()
    {
        _steps = _meter.CreateCounter<long>("agentops_trainer_steps", description: "Optimisation steps completed.");
        _trajectories = _meter.CreateCounter<long>("agentops_trainer_trajectories_ingested", description: "Trajectories taken from the queue into the update buffer.");
        _dropped = _meter.CreateCounter<long>("agentops_trainer_trajectories_dropped", description: "Trajectories not trained on, by reason (stale, infra, invalid, uniform_group, split).");
        _tokens = _meter.CreateCounter<long>("agentops_trainer_tokens_trained", description: "Trained (mask-1) tokens.");
        _skipped = _meter.CreateCounter<long>("agentops_trainer_skipped_steps", description: "RL steps taken with filtered (all-equal reward) groups after maxFilteredBatches batches were all filtered (DAPO bounded regeneration).");
        _stepSeconds = _meter.CreateHistogram<double>("agentops_trainer_step_duration", unit: "s", description: "Wall time of one optimisation step.");
        _meter.CreateObservableGauge("agentops_trainer_step", () => Interlocked.Read(ref _step), description: "The current optimisation step.");
        _meter.CreateObservableGauge("agentops_trainer_policy_version", () => Interlocked.Read(ref _version), description: "The policy version served.");
        _meter.CreateObservableGauge("agentops_trainer_phase", () => Volatile.Read(ref _phase), description: "0 sft, 1 rl, 2 done.");
        Gauge("agentops_trainer_loss", MetricNames.LossTotal, "Total loss of the last step.");
        Gauge("agentops_trainer_reward_mean", MetricNames.RewardMean, "Mean reward of the last step's trajectories.");
        Gauge("agentops_trainer_reward_std", MetricNames.RewardStd, "Reward standard deviation of the last step's trajectories.");
        Gauge("agentops_trainer_success_rate", MetricNames.SuccessRate, "Fraction of the last step's trained trajectories (after the group filter) with reward >= 1.");
        Gauge("agentops_trainer_sampled_success_rate", MetricNames.SampledSuccessRate, "Fraction of the episodes sampled for the last step (every complete group, before the group filter) with reward >= 1.");
        Gauge("agentops_trainer_kl", MetricNames.Kl, "KL estimate (k3) to the reference model.");
        Gauge("agentops_trainer_entropy", MetricNames.Entropy, "Mean policy entropy over trained tokens.");
        Gauge("agentops_trainer_clip_fraction", MetricNames.ClipFrac, "Fraction of trained tokens whose ratio was clipped.");
        Gauge("agentops_trainer_tokens_per_second", MetricNames.TokensPerSecond, "Training tokens per second in the last step.");
    }

    private void Gauge(string name, string key, string description) =>
        _meter.CreateObservableGauge(name, () =>
        {
            var last = Volatile.Read(ref _last);
            return last.TryGetValue(key, out var v) && double.IsFinite(v)
                ? [new Measurement<double>(v)]
                : Array.Empty<Measurement<double>>();
        }, description: description);

    public void RecordStep(StepReport report, long policyVersion, long trainedTokens)
    {
        Volatile.Write(ref _last, report.Metrics);
        Interlocked.Exchange(ref _step, report.Step + 1);
        Interlocked.Exchange(ref _version, policyVersion);
        _steps.Add(1, new KeyValuePair<string, object?>("phase", report.Phase));
        _tokens.Add(trainedTokens);
        if (report.Metrics.TryGetValue(MetricNames.StepSeconds, out var s)) _stepSeconds.Record(s);
    }

    public void SetPhase(string phase) => Volatile.Write(ref _phase, phase switch { TrainerPhase.Sft => 0, TrainerPhase.Rl => 1, _ => 2 });

    public void Ingested(long count) => _trajectories.Add(count);

    public void SkippedStep() => _skipped.Add(1);

    public void Dropped(string reason, long count)
    {
        if (count > 0) _dropped.Add(count, new KeyValuePair<string, object?>("reason", reason));
    }

    public void Dispose() => _meter.Dispose();
}
