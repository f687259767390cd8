using static TorchSharp.torch;

namespace AgentOps.Trainer.Algorithms;

/// <summary>A scalar loss to back-propagate, and what to log about it (CleanRL-prefixed names).</summary>
public sealed record LossOutput(Tensor Loss, IReadOnlyDictionary<string, double> Metrics);
