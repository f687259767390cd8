using System.Text.Json;
using AgentOps.Protos.V1;
using AgentOps.Workers.Agent;
using AgentOps.Workers.Environments;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentOps.Workers.Tests.Agent;

/// <summary>The OpenAI-compatible client against a real HTTP server speaking the chat-completions shape.</summary>
public sealed class OpenAiChatPolicyTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private readonly List<JsonElement> _requests = [];
    private readonly List<string?> _auth = [];
    private string _reply = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/v1/chat/completions", async (HttpContext ctx) =>
        {
            var body = await JsonDocument.ParseAsync(ctx.Request.Body);
            lock (_requests) { _requests.Add(body.RootElement.Clone()); _auth.Add(ctx.Request.Headers.Authorization.ToString()); }
            if (_reply == "500") { ctx.Response.StatusCode = 500; await ctx.Response.WriteAsync("overloaded"); return; }
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(_reply);
        });
        await _app.StartAsync();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Uri BaseUrl => new(_app.Urls.First() + "/");

    private static PolicyTurn Turn() => new(new EnvTask("t", "arithmetic", "1+2", "3", []), 1, [81, 58],
        [new ChatMessage("user", "Q: 1+2"), new ChatMessage("assistant", "<code>print(1+2)</code>"), new ChatMessage("user", "<output>3</output>")],
        [], 64, 0.7f, 1f, PromptFormat.StopSequences, 99, 7, true);

    [Fact]
    public async Task Sends_the_episode_as_messages_and_closes_the_stripped_stop_with_byte_logprobs()
    {
        // Two server tokens: "<answer>" (8 bytes) and "3" (1 byte); the server stripped the stop "</answer>".
        _reply = """{"choices":[{"message":{"role":"assistant","content":"<answer>3"},"finish_reason":"stop","logprobs":{"content":[{"token":"<answer>","logprob":-0.5,"bytes":[60,97,110,115,119,101,114,62]},{"token":"3","logprob":-0.25,"bytes":[51]}]}}]}""";
        using var http = new HttpClient();
        var c = await new OpenAiChatPolicy(http, BaseUrl, "tiny-actor", "key-1").GenerateAsync(Turn());
        Assert.Equal("<answer>3</answer>", c.Text);
        Assert.Equal(c.Text.Length, c.TokenIds.Count);
        Assert.True(c.LogprobsAvailable);
        Assert.Equal(-0.5f, c.Logprobs[7]);
        Assert.Equal(-0.25f, c.Logprobs[8]);
        Assert.Equal(-0.75f, c.Logprobs.Sum(), 5);
        var req = _requests.Single();
        Assert.Equal("tiny-actor", req.GetProperty("model").GetString());
        Assert.Equal(3, req.GetProperty("messages").GetArrayLength());
        Assert.Equal("assistant", req.GetProperty("messages")[1].GetProperty("role").GetString());
        Assert.Equal(["</code>", "</answer>"], req.GetProperty("stop").EnumerateArray().Select(e => e.GetString()));
        Assert.True(req.GetProperty("logprobs").GetBoolean());
        Assert.Equal(64, req.GetProperty("max_tokens").GetInt32());
        Assert.Equal("Bearer key-1", _auth.Single());
    }

    [Fact]
    public async Task Without_logprobs_the_completion_is_marked_and_errors_are_infrastructure()
    {
        _reply = """{"choices":[{"message":{"content":"<code>print(2)"},"finish_reason":"stop"}]}""";
        using var http = new HttpClient();
        var policy = new OpenAiChatPolicy(http, BaseUrl, "m");
        var c = await policy.GenerateAsync(Turn());
        Assert.Equal("<code>print(2)</code>", c.Text);
        Assert.False(c.LogprobsAvailable);
        Assert.Empty(c.Logprobs);
        _reply = """{"choices":[{"message":{"content":"<code>print(2"},"finish_reason":"length"}]}""";
        Assert.Equal(FinishReason.Length, (await policy.GenerateAsync(Turn())).FinishReason);
        _reply = "500";
        var e = await Assert.ThrowsAsync<PolicyUnavailableException>(() => policy.GenerateAsync(Turn()));
        Assert.Contains("answered 500: overloaded", e.Message);
    }
}
