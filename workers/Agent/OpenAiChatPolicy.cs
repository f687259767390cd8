using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;

namespace AgentOps.Workers.Agent;

/// <summary>
/// Any OpenAI-compatible chat-completions endpoint as the actor (Retroformer's frozen actor, L0's workers):
/// POST {baseUrl}/v1/chat/completions with the episode as messages, the stop sequences, and
/// `logprobs: true`. OpenAI strips the matched stop sequence, so an unclosed &lt;code&gt;/&lt;answer&gt; is
/// closed again. Server tokens are not bytes: each token's log-prob goes on its last byte (0 on the others),
/// which keeps the sequence log-prob; when the server gives none, or its token bytes do not spell the text,
/// log-probs are left empty and <see cref="PolicyCompletion.LogprobsAvailable"/> is false.
/// </summary>
public sealed class OpenAiChatPolicy(HttpClient http, Uri baseUrl, string model, string? apiKey = null) : IPolicyClient
{
    public string Name => "openai";

    public async Task<PolicyCompletion> GenerateAsync(PolicyTurn turn, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(turn.Messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content }).ToArray()),
            ["max_tokens"] = turn.MaxNewTokens,
            ["temperature"] = turn.Temperature,
            ["top_p"] = turn.TopP is > 0 and < 1 ? turn.TopP : 1,
            ["stop"] = new JsonArray(turn.Stop.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
            ["logprobs"] = true,
            ["seed"] = (long)(turn.Seed >> 1),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "v1/chat/completions"))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (!string.IsNullOrEmpty(apiKey)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);

        string raw;
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            raw = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new PolicyUnavailableException($"POST {request.RequestUri} answered {(int)response.StatusCode}: {Clip(raw)}");
        }
        catch (HttpRequestException e)
        {
            throw new PolicyUnavailableException($"POST {request.RequestUri} failed: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PolicyUnavailableException($"POST {request.RequestUri} timed out after {http.Timeout.TotalSeconds:0.#} s", e);
        }
        return Parse(raw);
    }

    internal static PolicyCompletion Parse(string raw)
    {
        JsonNode? choice;
        try { choice = JsonNode.Parse(raw)?["choices"]?[0]; }
        catch (JsonException e) { throw new PolicyUnavailableException($"chat completion is not JSON: {Clip(raw)}", e); }
        if (choice is null) throw new PolicyUnavailableException($"chat completion has no choices[0]: {Clip(raw)}");
        var content = choice["message"]?["content"]?.GetValue<string>() ?? "";
        var finishText = choice["finish_reason"]?.GetValue<string>();
        var finish = finishText == "length" ? FinishReason.Length : FinishReason.Stop;

        var text = content;
        if (finish == FinishReason.Stop) text = CloseStrippedStop(text);
        var ids = ByteTokenizer.Encode(text);
        var logprobs = ByteLogprobs(choice["logprobs"]?["content"] as JsonArray, Encoding.UTF8.GetByteCount(content), ids.Length);
        return logprobs is null
            ? new PolicyCompletion(text, ids, [], 0, finish, LogprobsAvailable: false)
            : new PolicyCompletion(text, ids, logprobs, 0, finish);
    }

    private static string CloseStrippedStop(string text)
    {
        foreach (var (open, close) in new[] { (PromptFormat.CodeOpen, PromptFormat.CodeClose), (PromptFormat.AnswerOpen, PromptFormat.AnswerClose) })
        {
            var o = text.LastIndexOf(open, StringComparison.Ordinal);
            if (o >= 0 && text.IndexOf(close, o, StringComparison.Ordinal) < 0) return text + close;
        }
        return text;
    }

    /// <summary>Per-byte log-probs from server tokens; null when absent or when the token bytes do not add up.</summary>
    private static float[]? ByteLogprobs(JsonArray? tokens, int contentBytes, int totalBytes)
    {
        if (tokens is null || tokens.Count == 0) return null;
        var result = new float[totalBytes];
        var at = 0;
        foreach (var t in tokens)
        {
            var lp = t?["logprob"]?.GetValue<double>();
            var bytes = t?["bytes"] as JsonArray;
            var n = bytes?.Count ?? (t?["token"]?.GetValue<string>() is { } s ? Encoding.UTF8.GetByteCount(s) : -1);
            if (lp is null || n <= 0 || at + n > contentBytes) return null;
            at += n;
            result[at - 1] = (float)lp.Value;
        }
        return at == contentBytes ? result : null;
    }

    private static string Clip(string s) => s.Length <= 200 ? s : s[..200] + "…";
}
