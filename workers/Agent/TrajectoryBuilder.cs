using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using Google.Protobuf;

namespace AgentOps.Workers.Agent;

/// <summary>
/// Accumulates one episode's segments and steps into a <see cref="Trajectory"/> (trajectory.proto): masks are
/// 1 only on GENERATED tokens, log-probs and policy version only there, the token sequence is the
/// concatenation of the segments.
/// </summary>
public sealed class TrajectoryBuilder
{
    private readonly Trajectory _t;
    private readonly List<int> _context = [];

    public TrajectoryBuilder(EpisodeSpec spec, string environment)
    {
        _t = new Trajectory
        {
            TrajectoryId = spec.TrajectoryId,
            RunId = spec.RunId,
            EpisodeId = spec.EpisodeId,
            TaskId = spec.Task.Id,
            Environment = environment,
            GroupId = spec.GroupId,
            Split = spec.Split,
            Executor = spec.Executor,
            Reward = new Reward(),
            Outcome = new Outcome(),
            Timings = new Timings(),
        };
    }

    /// <summary>Every token so far, in order: what the policy is conditioned on next.</summary>
    public IReadOnlyList<int> Context => _context;

    public Trajectory Trajectory => _t;

    public void AddText(SegmentKind kind, string text, int step) => AddTokens(kind, ByteTokenizer.Encode(text), step);

    public void AddTokens(SegmentKind kind, IReadOnlyList<int> tokens, int step)
    {
        if (kind == SegmentKind.Generated) throw new ArgumentException("generated segments need log-probs: use AddGenerated", nameof(kind));
        if (tokens.Count == 0) return;
        var segment = new Segment { Kind = kind, StepIndex = step, LossMask = ByteString.CopyFrom(new byte[tokens.Count]) };
        segment.TokenIds.Add(tokens);
        _t.Segments.Add(segment);
        _context.AddRange(tokens);
    }

    public void AddGenerated(PolicyCompletion completion, int step)
    {
        if (completion.TokenIds.Count == 0) return;
        if (completion.LogprobsAvailable && completion.Logprobs.Count != completion.TokenIds.Count)
            throw new PolicyUnavailableException(
                $"policy returned {completion.Logprobs.Count} log-probs for {completion.TokenIds.Count} tokens");
        var mask = new byte[completion.TokenIds.Count];
        Array.Fill(mask, (byte)1);
        var segment = new Segment
        {
            Kind = SegmentKind.Generated, StepIndex = step, PolicyVersion = completion.PolicyVersion,
            LossMask = ByteString.CopyFrom(mask),
        };
        segment.TokenIds.Add(completion.TokenIds);
        if (completion.LogprobsAvailable) segment.Logprobs.Add(completion.Logprobs);
        _t.Segments.Add(segment);
        _context.AddRange(completion.TokenIds);
    }

    public void AddStep(Step step) => _t.Steps.Add(step);

    public void SetLabel(string key, string value) => _t.Labels[key] = value;

    public void SetReward(double total, IReadOnlyDictionary<string, double> components)
    {
        _t.Reward.Total = total;
        _t.Reward.Components.Clear();
        foreach (var (k, v) in components) _t.Reward.Components[k] = v;
    }

    public void SetOutcome(OutcomeStatus status, string message, string answer = "")
    {
        _t.Outcome.Status = status;
        _t.Outcome.Message = message;
        _t.Outcome.Answer = answer;
        if (status.IsInfrastructureFailure()) SetReward(0, new Dictionary<string, double>());
    }

    public Trajectory Finish(DateTimeOffset started, DateTimeOffset finished, double generateSeconds, double sandboxSeconds)
    {
        _t.Timings.StartedUnixMs = started.ToUnixTimeMilliseconds();
        _t.Timings.FinishedUnixMs = finished.ToUnixTimeMilliseconds();
        _t.Timings.GenerateSeconds = generateSeconds;
        _t.Timings.SandboxSeconds = sandboxSeconds;
        _t.Timings.TotalSeconds = (finished - started).TotalSeconds;
        return _t;
    }
}
