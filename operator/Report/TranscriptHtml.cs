using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace AgentOps.Operator.Report;

/// <summary>
/// Renders an episode transcript: `&lt;code&gt;…&lt;/code&gt;` cells as code blocks, `&lt;output&gt;…&lt;/output&gt;`
/// (the interpreter, masked out of the loss) as output blocks, `&lt;answer&gt;…&lt;/answer&gt;` highlighted, the
/// rest as text. Everything is HTML-escaped: the agent's code is data, never markup.
/// </summary>
public static partial class TranscriptHtml
{
    [GeneratedRegex("<(code|output|answer)>(.*?)(?:</\\1>|$)", RegexOptions.Singleline)]
    private static partial Regex Blocks();

    public static string Render(string transcript, bool success = true)
    {
        var sb = new StringBuilder("<div class=\"transcript\">");
        var at = 0;
        foreach (Match m in Blocks().Matches(transcript))
        {
            Text(sb, transcript[at..m.Index]);
            var kind = m.Groups[1].Value;
            var body = WebUtility.HtmlEncode(m.Groups[2].Value.Trim('\n'));
            sb.Append(kind switch
            {
                "code" => $"<pre class=\"code\"><span class=\"tag\">code</span>{body}</pre>",
                "output" => $"<pre class=\"output\"><span class=\"tag\">output</span>{body}</pre>",
                _ => $"<div class=\"answer{(success ? "" : " wrong")}\"><span class=\"tag\">answer</span>{body}</div>",
            });
            at = m.Index + m.Length;
        }
        Text(sb, transcript[at..]);
        return sb.Append("</div>").ToString();
    }

    private static void Text(StringBuilder sb, string text)
    {
        if (!string.IsNullOrWhiteSpace(text)) sb.Append("<pre class=\"text\">").Append(WebUtility.HtmlEncode(text.Trim('\n'))).Append("</pre>");
    }
}
