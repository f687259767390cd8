using AgentOps.Protos.V1;

namespace AgentOps.Trainer.Model;

/// <summary>One prompt to continue (the fields of policy.proto's GenerateRequest).</summary>
/// <param name="Seed">Sampling seed; the same seed and batch give the same tokens.</param>
public sealed record GenerationRequest(
    IReadOnlyList<int> Prompt,
    int MaxNewTokens,
    float Temperature = 1f,
    float TopP = 1f,
    IReadOnlyList<string>? Stop = null,
    ulong Seed = 1);

/// <summary>What was generated: tokens, their log-probs under the untempered policy, the text, why it ended.</summary>
public sealed record GenerationResult(int[] Tokens, float[] LogProbs, string Text, FinishReason FinishReason);
