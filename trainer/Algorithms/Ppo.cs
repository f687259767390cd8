using AgentOps.Trainer.Rollout;
using AgentOps.Trainer.Engine;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Algorithms;

/// <summary>PPO knobs (ReTool trains with PPO; CleanRL ppo.py names).</summary>
/// <param name="ClipRange">Ratio clip ε.</param>
/// <param name="ValueClipRange">Value clip: new values stay within ±this of the values at sampling time.</param>
/// <param name="ValueCoef">Weight of the value loss (vf_coef).</param>
/// <param name="Gamma">Discount over action tokens.</param>
/// <param name="Lambda">GAE λ.</param>
/// <param name="KlCoef">β of the k3 KL loss to the frozen reference.</param>
/// <param name="NormalizeAdvantages">Whiten advantages over the batch's trained tokens (norm_adv).</param>
/// <param name="GroupFilter">Drop groups whose rewards are all equal.</param>
public sealed record PpoOptions(
    double ClipRange = 0.2,
    double ValueClipRange = 0.2,
    double ValueCoef = 0.5,
    double Gamma = 1.0,
    double Lambda = 0.95,
    double KlCoef = 0.0,
    bool NormalizeAdvantages = true,
    bool GroupFilter = false);

/// <summary>A linear value head on the transformer's final hidden states: [B,T,D] → [B,T]. Checkpoint names
/// <c>weight</c> [1, D] and <c>bias</c> [1], as torch.nn.Linear's.</summary>
public sealed class ValueHead : nn.Module
{
    [ComponentName(Name = "weight")] private readonly Parameter _weight;
    [ComponentName(Name = "bias")] private readonly Parameter _bias;

    public ValueHead(int modelDim, ulong seed, Device? device = null) : base("value_head")
    {
        using var g = new Generator(seed, CPU);
        using var scope = NewDisposeScope();
        _weight = (randn([1, modelDim], generator: g) * (1.0 / Math.Sqrt(modelDim))).to(device ?? CPU).AsModuleParameter();
        _bias = zeros([1], device: device ?? CPU).AsModuleParameter();
        RegisterComponents();
    }

    /// <summary>Parameters AdamW does not decay.</summary>
    public IEnumerable<Parameter> NoDecay => [_bias];

    public Tensor Forward(Tensor hidden) => nn.functional.linear(hidden, _weight, _bias).squeeze(-1);
}

/// <summary>PPO with a value head and GAE over action tokens (tool output and feedback are not time steps).</summary>
public static class Ppo
{
    /// <summary>
    /// Advantages and returns per row from the values predicted at sampling time (read from
    /// <paramref name="values"/> [rows, columns] row-major), whitened over every trained token when asked.
    /// </summary>
    public static (List<float[]> Advantages, List<float[]> Returns) Advantages(IReadOnlyList<PackedTrajectory> rows, float[] values, int columns, PpoOptions options)
    {
        var advantages = new List<float[]>(rows.Count);
        var returns = new List<float[]>(rows.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            var (a, g) = Gae.Compute(row.LossMask, values.AsSpan(r * columns, row.Length), row.Reward, options.Gamma, options.Lambda);
            advantages.Add(a);
            returns.Add(g);
        }
        if (options.NormalizeAdvantages)
        {
            var all = new List<double>();
            for (var r = 0; r < rows.Count; r++)
            {
                for (var t = 0; t < rows[r].Length; t++)
                {
                    if (rows[r].LossMask[t] == 1) all.Add(advantages[r][t]);
                }
            }
            var (mean, std) = Normalization.MeanStd(all.ToArray());
            for (var r = 0; r < rows.Count; r++)
            {
                for (var t = 0; t < rows[r].Length; t++)
                {
                    if (rows[r].LossMask[t] == 1) advantages[r][t] = (float)((advantages[r][t] - mean) / (std + 1e-8));
                }
            }
        }
        return (advantages, returns);
    }

    /// <summary>
    /// Clipped policy loss plus valueCoef · clipped value loss:
    /// ½·max((v - R)², (v_old + clip(v - v_old, ±εv) - R)²), token-mean over mask-1 tokens.
    /// </summary>
    public static LossOutput Loss(Tensor logits, Tensor values, Tensor oldValues, BatchTensors batch, Tensor? referenceLogProbs, PpoOptions options)
    {
        var policy = PolicyLoss.ClippedPolicyGradient(logits, batch, referenceLogProbs, options.ClipRange, options.KlCoef);
        var unclipped = (values - batch.Returns).square();
        var clippedValues = oldValues + (values - oldValues).clamp(-options.ValueClipRange, options.ValueClipRange);
        var clipped = (clippedValues - batch.Returns).square();
        var valueLoss = PolicyLoss.MaskedMean(unclipped.maximum(clipped), batch.Mask) * 0.5;
        var loss = policy.Loss + valueLoss * options.ValueCoef;
        var metrics = new Dictionary<string, double>(policy.Metrics)
        {
            ["loss/value"] = valueLoss.item<float>(),
            ["loss/total"] = loss.item<float>(),
        };
        return new LossOutput(loss, metrics);
    }
}
