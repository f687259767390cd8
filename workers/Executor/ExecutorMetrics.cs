using System.Diagnostics.Metrics;
using AgentOps.Protos.V1;

namespace AgentOps.Workers.Executor;

/// <summary>
/// The executor's Prometheus series (served by protos/Metrics): episodes by outcome, reward histogram,
/// turns, generate and sandbox seconds. Labels are low-cardinality: environment, outcome, split.
/// </summary>
public sealed class ExecutorMetrics : IDisposable
{
    public const string MeterName = "AgentOps.Executor";
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _episodes;
    private readonly Histogram<double> _reward;
    private readonly Histogram<int> _turns;
    private readonly Histogram<double> _generate;
    private readonly Histogram<double> _sandbox;
    private readonly Histogram<double> _episodeSeconds;

    public ExecutorMetrics()
    {
        _episodes = _meter.CreateCounter<long>("agentops_executor_episodes", description: "Episodes finished, by outcome.");
        _reward = _meter.CreateHistogram<double>("agentops_executor_episode_reward", description: "Reward of agent-outcome episodes.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1] });
        _turns = _meter.CreateHistogram<int>("agentops_executor_episode_turns", description: "Policy turns per episode.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 3, 4, 6, 8, 16] });
        _generate = _meter.CreateHistogram<double>("agentops_executor_generate", "s", "Time waiting for the policy per episode.");
        _sandbox = _meter.CreateHistogram<double>("agentops_executor_sandbox", "s", "Time running cells per episode.");
        _episodeSeconds = _meter.CreateHistogram<double>("agentops_executor_episode", "s", "Wall time per episode.");
    }

    public void Record(Trajectory t)
    {
        var env = new KeyValuePair<string, object?>("environment", t.Environment);
        var outcome = new KeyValuePair<string, object?>("outcome", OutcomeLabel(t.Outcome.Status));
        var split = new KeyValuePair<string, object?>("split", t.Split);
        _episodes.Add(1, env, outcome, split);
        if (!t.Outcome.Status.IsInfrastructureFailure()) _reward.Record(t.Reward.Total, env, split);
        _turns.Record(t.Steps.Count, env);
        _generate.Record(t.Timings.GenerateSeconds, env);
        _sandbox.Record(t.Timings.SandboxSeconds, env);
        _episodeSeconds.Record(t.Timings.TotalSeconds, env);
    }

    /// <summary>"answered", "truncated", "infra_sandbox_crashed", … (the enum name without its prefix).</summary>
    public static string OutcomeLabel(OutcomeStatus status) => status switch
    {
        OutcomeStatus.Answered => "answered",
        OutcomeStatus.Truncated => "truncated",
        OutcomeStatus.Malformed => "malformed",
        OutcomeStatus.InfraSandboxStartFailed => "infra_sandbox_start_failed",
        OutcomeStatus.InfraSandboxCrashed => "infra_sandbox_crashed",
        OutcomeStatus.InfraPolicyUnavailable => "infra_policy_unavailable",
        OutcomeStatus.InfraPlatformTimeout => "infra_platform_timeout",
        OutcomeStatus.InfraPreempted => "infra_preempted",
        OutcomeStatus.InfraOverloaded => "infra_overloaded",
        _ => "unspecified",
    };

    public void Dispose() => _meter.Dispose();
}
