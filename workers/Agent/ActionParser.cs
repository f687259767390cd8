namespace AgentOps.Workers.Agent;

public enum ActionKind { Code, Answer, Malformed }

/// <param name="Content">The code to run or the answer; for a malformed action, the feedback to give.</param>
public sealed record ParsedAction(ActionKind Kind, string Content);

/// <summary>
/// Reads one turn of policy text: the first complete &lt;answer&gt;…&lt;/answer&gt; or &lt;code&gt;…&lt;/code&gt;
/// (whichever closes first) is the action; anything else is malformed, with feedback saying what to fix.
/// </summary>
public static class ActionParser
{
    public static ParsedAction Parse(string text)
    {
        var code = Find(text, PromptFormat.CodeOpen, PromptFormat.CodeClose);
        var answer = Find(text, PromptFormat.AnswerOpen, PromptFormat.AnswerClose);
        if (answer is { } a && (code is null || a.End <= code.Value.End)) return new ParsedAction(ActionKind.Answer, a.Body.Trim());
        if (code is { } c)
        {
            return c.Body.Trim().Length == 0
                ? new ParsedAction(ActionKind.Malformed, "empty <code> block")
                : new ParsedAction(ActionKind.Code, c.Body);
        }
        if (text.Contains(PromptFormat.CodeOpen, StringComparison.Ordinal)) return new ParsedAction(ActionKind.Malformed, "close <code> with </code>");
        if (text.Contains(PromptFormat.AnswerOpen, StringComparison.Ordinal)) return new ParsedAction(ActionKind.Malformed, "close <answer> with </answer>");
        return new ParsedAction(ActionKind.Malformed, "write <code>...</code> or <answer>...</answer>");
    }

    private static (string Body, int End)? Find(string text, string open, string close)
    {
        var start = text.IndexOf(open, StringComparison.Ordinal);
        if (start < 0) return null;
        var end = text.IndexOf(close, start + open.Length, StringComparison.Ordinal);
        if (end < 0) return null;
        return (text[(start + open.Length)..end], end + close.Length);
    }
}
