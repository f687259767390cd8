using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using AgentOps.Workers.Agent;

namespace AgentOps.Workers.Tests.Agent;

/// <summary>A policy that writes the given actions in order (then repeats the last): a fake actor for loop tests.</summary>
internal sealed class FixedActionsPolicy(params string[] actions) : IPolicyClient
{
    public List<PolicyTurn> Turns { get; } = [];

    public string Name => "fixed";

    public Task<PolicyCompletion> GenerateAsync(PolicyTurn turn, CancellationToken cancellationToken = default)
    {
        Turns.Add(turn);
        var text = actions[Math.Min(turn.Turn, actions.Length - 1)];
        var ids = ByteTokenizer.Encode(text);
        var finish = FinishReason.Stop;
        if (ids.Length > turn.MaxNewTokens) { ids = ids[..turn.MaxNewTokens]; finish = FinishReason.Length; }
        return Task.FromResult(new PolicyCompletion(ByteTokenizer.Decode(ids), ids, Enumerable.Repeat(-0.25f, ids.Length).ToArray(), 3, finish));
    }
}
