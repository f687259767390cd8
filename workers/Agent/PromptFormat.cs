using System.Text;

namespace AgentOps.Workers.Agent;

/// <summary>
/// The episode text format, kept minimal for a byte-level policy with a 512-token context (one token per
/// byte, no BOS/EOS added). An episode is the concatenation of these segments, in order:
/// <code>
///   PROMPT       "Q: {question}\n"                      mask 0, step 0
///   GENERATED    "&lt;code&gt;{python}&lt;/code&gt;"            mask 1, log-probs, policy version
///   TOOL_OUTPUT  "\n&lt;output&gt;{stdout + error}&lt;/output&gt;\n"  mask 0 (interpreter output)
///   FEEDBACK     "\n&lt;feedback&gt;{message}&lt;/feedback&gt;\n"   mask 0 (malformed action, unknown tool, missing argument)
///   GENERATED    "&lt;answer&gt;{answer}&lt;/answer&gt;"        mask 1; ends the episode
/// </code>
/// e.g. a whole arithmetic reference episode (98 bytes):
/// "Q: (37*41-123)*17\n&lt;code&gt;print((37*41-123)*17)&lt;/code&gt;\n&lt;output&gt;23698&lt;/output&gt;\n&lt;answer&gt;23698&lt;/answer&gt;".
/// The policy is called with the whole context so far and the stop sequences "&lt;/code&gt;" and "&lt;/answer&gt;";
/// everything it returns (any text before the tag included) is one GENERATED segment. Observations are cut to
/// <see cref="AgentOptions.MaxObservationBytes"/> bytes with a trailing "…".
/// </summary>
public static class PromptFormat
{
    public const string CodeOpen = "<code>", CodeClose = "</code>";
    public const string AnswerOpen = "<answer>", AnswerClose = "</answer>";
    public static readonly string[] StopSequences = [CodeClose, AnswerClose];

    public static string Prompt(string question) => $"Q: {question}\n";

    public static string Code(string code) => CodeOpen + code + CodeClose;

    public static string Answer(string answer) => AnswerOpen + answer + AnswerClose;

    public static string Output(string observation) => $"\n<output>{observation}</output>\n";

    public static string Feedback(string message) => $"\n<feedback>{message}</feedback>\n";

    /// <summary>stdout (trailing newline removed), then the error line if any, cut to <paramref name="maxBytes"/>.</summary>
    public static string Observation(string stdout, string? error, int maxBytes)
    {
        var text = stdout.TrimEnd('\n', '\r');
        if (error is not null) text = text.Length == 0 ? error : text + "\n" + error;
        return Clip(text, maxBytes);
    }

    public static string Clip(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes) return text;
        var budget = maxBytes - 3; // "…" is 3 bytes
        var end = 0;
        var used = 0;
        while (end < text.Length)
        {
            var len = char.IsHighSurrogate(text[end]) && end + 1 < text.Length ? 2 : 1;
            var bytes = Encoding.UTF8.GetByteCount(text.AsSpan(end, len));
            if (used + bytes > budget) break;
            used += bytes;
            end += len;
        }
        return text[..end] + "…";
    }
}
