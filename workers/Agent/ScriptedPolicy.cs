using System.Text.RegularExpressions;
using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;

namespace AgentOps.Workers.Agent;

/// <summary>
/// Replays the environment's reference solution: one &lt;code&gt; turn per reference cell, then
/// &lt;answer&gt; with the reference answer (or the last output). In text-only mode it answers at once.
/// With probability <paramref name="recoverRate"/> (decided per episode from its seed) it first writes a
/// broken version of the first cell, sees the error, and then writes the right one: DESIGN.md's
/// error-and-recover demonstrations, without which a model writes garbage after its first error.
/// Log-probs are 0 (the script is deterministic); policy version is <paramref name="policyVersion"/>.
/// </summary>
public sealed partial class ScriptedPolicy(double recoverRate = 0, long policyVersion = 0) : IPolicyClient
{
    public string Name => "scripted";

    public Task<PolicyCompletion> GenerateAsync(PolicyTurn turn, CancellationToken cancellationToken = default)
    {
        var task = turn.Task;
        string text;
        if (!turn.Interpreter)
        {
            text = PromptFormat.Answer(task.ReferenceAnswer ?? task.ExpectedAnswer);
        }
        else
        {
            var plan = Plan(task.ReferenceCells, turn.EpisodeSeed);
            text = turn.Turn < plan.Count
                ? PromptFormat.Code(plan[turn.Turn])
                : PromptFormat.Answer(task.ReferenceAnswer ?? LastOutput(turn.History));
        }
        var ids = ByteTokenizer.Encode(text);
        var finish = FinishReason.Stop;
        if (ids.Length > turn.MaxNewTokens)
        {
            ids = ids[..Math.Max(0, turn.MaxNewTokens)];
            text = ByteTokenizer.Decode(ids);
            finish = FinishReason.Length;
        }
        return Task.FromResult(new PolicyCompletion(text, ids, new float[ids.Length], policyVersion, finish));
    }

    /// <summary>The cells this episode will write: the reference, preceded by a broken first cell when recovering.</summary>
    public IReadOnlyList<string> Plan(IReadOnlyList<string> cells, ulong seed)
    {
        var random = new Random(unchecked((int)(seed ^ (seed >> 32))));
        if (cells.Count == 0 || random.NextDouble() >= recoverRate) return cells;
        return [Break(cells[0], random), .. cells];
    }

    /// <summary>
    /// A plausible mistake: drop a tool call's argument (LAM-style "missing argument" feedback), misspell
    /// print (NameError) or lose the last parenthesis (SyntaxError).
    /// </summary>
    internal static string Break(string cell, Random random)
    {
        var call = ToolCallWithArgument().Match(cell);
        if (call.Success && random.Next(2) == 0)
            return cell[..call.Index] + call.Groups[1].Value + "()" + cell[(call.Index + call.Length)..];
        if (random.Next(2) == 0 && cell.Contains("print(", StringComparison.Ordinal))
            return cell.Replace("print(", "prnt(", StringComparison.Ordinal);
        var last = cell.LastIndexOf(')');
        return last >= 0 ? cell.Remove(last, 1) : cell + ")";
    }

    private static string LastOutput(IReadOnlyList<TurnRecord> history)
    {
        for (var i = history.Count - 1; i >= 0; i--)
            if (history[i].Parsed.Kind == ActionKind.Code && !history[i].CodeError) return history[i].Observation.Trim();
        return "";
    }

    [GeneratedRegex(@"\b((?:get|find|list)_\w+|lookup|search)\('[^']*'\)")]
    private static partial Regex ToolCallWithArgument();
}
