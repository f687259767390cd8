using AgentOps.Protos.V1;
using AgentOps.Workers.Environments;

namespace AgentOps.Workers.Agent;

/// <summary>
/// Where actions come from. Implementations: <see cref="GrpcPolicyClient"/> (the trainer's Policy service),
/// <see cref="OpenAiChatPolicy"/> (any OpenAI-compatible endpoint: a frozen actor, Retroformer mode) and
/// <see cref="ScriptedPolicy"/> (replays the environment's reference solution: tests and SFT demonstrations).
/// Transport failures surface as <see cref="PolicyUnavailableException"/>, which the loop reports as
/// INFRA_POLICY_UNAVAILABLE.
/// </summary>
public interface IPolicyClient
{
    /// <summary>"grpc", "openai" or "scripted": a trajectory label.</summary>
    string Name { get; }

    Task<PolicyCompletion> GenerateAsync(PolicyTurn turn, CancellationToken cancellationToken = default);
}

/// <summary>Everything a policy may need for one turn; each client uses the part its protocol speaks.</summary>
/// <param name="ContextTokens">The episode so far as byte-tokenizer ids (the gRPC prompt).</param>
/// <param name="Messages">The same episode as chat messages (the OpenAI-compatible prompt).</param>
/// <param name="History">Earlier turns of this episode (the scripted policy reads outputs from it).</param>
/// <param name="Seed">Sampling seed, stable per (trajectory id, turn).</param>
/// <param name="EpisodeSeed">Stable per trajectory id, the same on every turn (per-episode decisions of the scripted policy).</param>
public sealed record PolicyTurn(
    EnvTask Task,
    int Turn,
    IReadOnlyList<int> ContextTokens,
    IReadOnlyList<ChatMessage> Messages,
    IReadOnlyList<TurnRecord> History,
    int MaxNewTokens,
    float Temperature,
    float TopP,
    IReadOnlyList<string> Stop,
    ulong Seed,
    ulong EpisodeSeed,
    bool Interpreter);

/// <param name="Role">"user" (task, observations) or "assistant" (actions).</param>
public sealed record ChatMessage(string Role, string Content);

/// <summary>One finished turn as the next turns see it.</summary>
/// <param name="Observation">What came back (interpreter output or feedback), as shown to the policy.</param>
public sealed record TurnRecord(int Index, string Action, ParsedAction Parsed, string Observation, bool CodeError, string? Feedback);

/// <param name="TokenIds">The generated tokens (byte-tokenizer ids).</param>
/// <param name="Logprobs">One per token under the behaviour policy; empty when the source gives none
/// (<see cref="LogprobsAvailable"/> false, and the trajectory is labelled logprobs=absent).</param>
public sealed record PolicyCompletion(
    string Text,
    IReadOnlyList<int> TokenIds,
    IReadOnlyList<float> Logprobs,
    long PolicyVersion,
    FinishReason FinishReason,
    bool LogprobsAvailable = true);

/// <summary>The policy could not be reached or answered with a transport error: not the agent's failure.</summary>
public sealed class PolicyUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
