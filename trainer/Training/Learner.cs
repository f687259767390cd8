using System.Diagnostics;
using AgentOps.Trainer.Algorithms;
using AgentOps.Trainer.Model;
using AgentOps.Trainer.Rollout;
using AgentOps.Trainer.Serving;
using AgentOps.Trainer.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Training;

/// <summary>What one optimisation step did.</summary>
public sealed record StepResult(IReadOnlyDictionary<string, double> Metrics, long TrainedTokens, long PolicyVersion);

/// <summary>
/// The policy, its optimiser, the frozen reference (for the KL term) and the value head (PPO), and one
/// optimisation step per call: SFT on demonstrations, or the configured RL algorithm on groups. Every update
/// goes through the <see cref="PolicyVersionGate"/>, which bumps the version generation reports.
/// </summary>
public sealed class Learner : IDisposable
{
    private readonly TrainerOptions _options;
    private Transformer? _reference;

    public Learner(TrainerOptions options, ModelConfig config, Device? device = null, long initialVersion = 0)
    {
        _options = options;
        Device = device ?? CPU;
        Policy = new Transformer(config.Validate(), (ulong)options.Seed, Device);
        if (options.Algorithm == "ppo") Value = new ValueHead(config.Dim, (ulong)options.Seed + 1, Device);
        var parameters = Policy.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        if (Value is not null) parameters.AddRange(Value.named_parameters().Select(p => ("value." + p.name, p.parameter)));
        Optimizer = new NamedAdamW(parameters, new AdamWOptions { LearningRate = options.SftLearningRate, WeightDecay = options.WeightDecay },
            Policy.NoDecay.Concat(Value?.NoDecay ?? []));
        Gate = new PolicyVersionGate(initialVersion);
    }

    public Transformer Policy { get; }
    public ValueHead? Value { get; }
    public NamedAdamW Optimizer { get; }
    public PolicyVersionGate Gate { get; }
    public Device Device { get; }

    public GrpoOptions Grpo => new(_options.ClipRange, _options.KlCoef, GroupFilter: _options.GroupFilter);
    public ReinforcePlusPlusOptions ReinforcePlusPlus => new(ClipRange: _options.ClipRange, KlCoef: _options.KlCoef, GroupFilter: _options.GroupFilter);
    public PpoOptions Ppo => new(_options.ClipRange, ValueCoef: _options.PpoValueCoef, Gamma: _options.PpoGamma, Lambda: _options.PpoLambda, KlCoef: _options.KlCoef, GroupFilter: _options.GroupFilter);

    /// <summary>
    /// Freezes the KL reference once, when RL starts: a copy of the current policy, or the weights of the
    /// checkpoint folder <paramref name="checkpoint"/> (the SFT checkpoint, when resuming mid-RL). Nothing when β = 0.
    /// </summary>
    public void FreezeReference(string? checkpoint = null)
    {
        if (_options.KlCoef == 0 || _reference is not null) return;
        _reference = new Transformer(Policy.Config, (ulong)_options.Seed, Device);
        if (checkpoint is not null) Checkpoints.CheckpointStore.LoadInto(checkpoint, _reference, null);
        else StateDicts.Load(_reference, Policy.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter), "KL reference");
    }

    /// <summary>One SFT step: cross-entropy on the demonstrations' mask-1 tokens.</summary>
    public StepResult SftStep(IReadOnlyList<PackedTrajectory> demonstrations, double learningRate)
    {
        var batch = BatchBuilder.Build(demonstrations);
        return Update(batch, learningRate, (t, _) => Sft.Loss(Policy.Forward(t.Inputs), t), microBatches: true);
    }

    /// <summary>One RL step of the configured algorithm over complete, filtered groups.</summary>
    public StepResult RlStep(IReadOnlyList<RolloutGroup> groups, double learningRate)
    {
        var rewards = groups.SelectMany(g => g.Members).Select(m => m.Reward).ToArray();
        var (mean, std) = Normalization.MeanStd(rewards);
        var rolloutMetrics = new Dictionary<string, double>
        {
            [MetricNames.RewardMean] = mean,
            [MetricNames.RewardStd] = std,
            [MetricNames.SuccessRate] = rewards.Length == 0 ? 0 : rewards.Count(r => r >= 1.0) / (double)rewards.Length,
            [MetricNames.Trajectories] = rewards.Length,
        };
        StepResult result;
        switch (_options.Algorithm)
        {
            case "grpo":
            {
                var (rows, adv) = Algorithms.Grpo.TokenAdvantages(groups, Grpo);
                result = Update(BatchBuilder.Build(rows, adv), learningRate, (t, logits) => Algorithms.Grpo.Loss(logits(), t, ReferenceLogProbs(t), Grpo), microBatches: true);
                break;
            }
            case "reinforce++":
            {
                var (rows, adv) = Algorithms.ReinforcePlusPlus.TokenAdvantages(groups, ReinforcePlusPlus);
                result = Update(BatchBuilder.Build(rows, adv), learningRate, (t, logits) => Algorithms.ReinforcePlusPlus.Loss(logits(), t, ReferenceLogProbs(t), ReinforcePlusPlus), microBatches: true);
                break;
            }
            case "ppo":
                result = PpoStep(groups, learningRate);
                break;
            default:
                throw new InvalidOperationException($"spec.algorithm.name: must be grpo, reinforce++, ppo or sft, got '{_options.Algorithm}'");
        }
        var metrics = new Dictionary<string, double>(result.Metrics);
        foreach (var (k, v) in rolloutMetrics) metrics[k] = v;
        return result with { Metrics = metrics };
    }

    private StepResult PpoStep(IReadOnlyList<RolloutGroup> groups, double learningRate)
    {
        var rows = groups.SelectMany(g => g.Members).ToList();
        var plain = BatchBuilder.Build(rows);
        float[] oldValues;
        using (no_grad())
        using (NewDisposeScope())
        {
            var inputs = tensor(plain.Inputs, [plain.Rows, plain.Columns], device: Device);
            oldValues = Value!.Forward(Policy.ForwardHidden(inputs)).ToFloats();
        }
        var options = Ppo;
        var (adv, ret) = Algorithms.Ppo.Advantages(rows, oldValues, plain.Columns, options);
        var batch = BatchBuilder.Build(rows, adv, ret);
        return Update(batch, learningRate, (t, _) =>
        {
            var hidden = Policy.ForwardHidden(t.Inputs);
            var logits = Policy.Head(hidden);
            var values = Value!.Forward(hidden);
            var old = tensor(oldValues, [batch.Rows, batch.Columns], device: Device);
            return Algorithms.Ppo.Loss(logits, values, old, t, ReferenceLogProbs(t), options);
        });
    }

    private Tensor? ReferenceLogProbs(BatchTensors t)
    {
        if (_reference is null) return null;
        using var _ = no_grad();
        return _reference.TokenLogProbs(t.Inputs, t.Targets);
    }

    /// <summary>Forward, backward, clip, then the optimiser step under the version gate (version + 1). With
    /// <paramref name="microBatches"/> (losses that are token means over the batch's mask-1 tokens) the rows go
    /// through in length-sorted parts of at most <see cref="TrainerOptions.MicroBatchTokens"/> padded tokens, cut
    /// where that saves padding (<see cref="TrainingBatch.Parts"/>), each part's loss weighted by its share of the
    /// mask-1 tokens, so the accumulated gradient equals the whole batch's.</summary>
    private StepResult Update(TrainingBatch batch, double learningRate, Func<BatchTensors, Func<Tensor>, LossOutput> loss, bool microBatches = false)
    {
        var watch = Stopwatch.StartNew();
        Optimizer.ZeroGrad();
        var total = Math.Max(1, batch.MaskedTokens);
        var metrics = new Dictionary<string, double>();
        var parts = microBatches && _options.MicroBatchTokens > 0 && Device.type != DeviceType.CUDA
            ? batch.Parts(_options.MicroBatchTokens, _options.PartOverheadTokens).ToList() : [batch];
        var whole = parts.Count == 1;
        foreach (var part in parts)
        {
            var weight = whole ? 1.0 : part.MaskedTokens / (double)total;
            using var partScope = NewDisposeScope();
            using var tensors = new BatchTensors(part, Device);
            var partOutput = loss(tensors, () => Policy.Forward(tensors.Inputs));
            (whole ? partOutput.Loss : partOutput.Loss * weight).backward();
            foreach (var (k, v) in partOutput.Metrics) metrics[k] = metrics.GetValueOrDefault(k) + v * weight;
        }
        using var scope = NewDisposeScope();
        var parameters = Policy.parameters().Concat(Value?.parameters() ?? []).ToList();
        var gradNorm = _options.MaxGradNorm > 0 ? nn.utils.clip_grad_norm_(parameters, _options.MaxGradNorm) : double.NaN;
        Optimizer.LearningRate = learningRate;
        var version = Gate.Update(Optimizer.Step);
        var seconds = watch.Elapsed.TotalSeconds;
        metrics[MetricNames.LearningRate] = learningRate;
        metrics[MetricNames.GradNorm] = gradNorm;
        metrics[MetricNames.StepSeconds] = seconds;
        metrics[MetricNames.TokensPerSecond] = batch.Tokens / Math.Max(seconds, 1e-9);
        return new StepResult(metrics, batch.MaskedTokens, version);
    }

    public void Dispose()
    {
        Optimizer.Dispose();
        Value?.Dispose();
        _reference?.Dispose();
        Policy.Dispose();
        Gate.Dispose();
    }
}
