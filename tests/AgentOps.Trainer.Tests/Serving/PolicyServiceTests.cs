using Grpc.Core;
using Grpc.Net.Client;
using AgentOps.Telemetry.Grpc;
using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using AgentOps.Trainer.Model;
using AgentOps.Trainer.Serving;

namespace AgentOps.Trainer.Tests.Serving;

/// <summary>Policy.Generate over the real gRPC transport with the real tiny model.</summary>
public sealed class PolicyServiceTests : IAsyncLifetime
{
    private readonly Transformer _model = new(ModelConfig.Tiny with { ContextLength = 64 }, seed: 3);
    private PolicyVersionGate _gate = null!;
    private GenerateBatcher _batcher = null!;
    private GrpcServerHost _host = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _gate = new PolicyVersionGate(4);
        var backend = new GenerationBackend(new Generator(_model), seed: 1);
        // A wide window so that concurrent calls from a loaded machine still land in one batch.
        _batcher = new GenerateBatcher(backend.Generate, _gate, TimeSpan.FromMilliseconds(300), maxBatch: 8);
        var info = () => new PolicyInfo { PolicyVersion = _gate.Version, ModelPreset = "tiny", Phase = "rl" };
        _host = await GrpcServerHost.StartAsync(new GrpcServerHostOptions(), [GrpcService.Of(new PolicyService(_batcher, info, 64))]);
        _channel = GrpcChannel.ForAddress(_host.Address);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
        await _batcher.DisposeAsync();
        _gate.Dispose();
        _model.Dispose();
    }

    [Fact]
    public async Task Concurrent_generate_calls_are_batched_and_carry_tokens_logprobs_and_the_version()
    {
        var client = new Policy.PolicyClient(_channel);
        var calls = Enumerable.Range(0, 8).Select(i => client.GenerateAsync(new GenerateRequest
        {
            PromptTokenIds = { ByteTokenizer.Encode($"Q:{i}+1=") },
            MaxNewTokens = 6,
            Temperature = 1,
            Seed = (ulong)(i + 1),
        }).ResponseAsync).ToArray();
        var responses = await Task.WhenAll(calls);

        Assert.All(responses, r =>
        {
            Assert.Equal(4, r.PolicyVersion);
            Assert.Equal(r.TokenIds.Count, r.Logprobs.Count);
            Assert.InRange(r.TokenIds.Count, 1, 6);
            Assert.All(r.Logprobs, lp => Assert.True(lp <= 0));
        });
        Assert.True(_batcher.RecentBatchSizes.Max() > 1, $"batches: {string.Join(",", _batcher.RecentBatchSizes)}");
        Assert.Equal(8, _batcher.RequestsServed);

        // An update between calls is seen as the next version.
        _gate.Update(() => { });
        var after = await client.GenerateAsync(new GenerateRequest { PromptTokenIds = { 1, 2 }, MaxNewTokens = 1 });
        Assert.Equal(5, after.PolicyVersion);
        Assert.Equal(5, (await client.InfoAsync(new InfoRequest())).PolicyVersion);
    }

    [Fact]
    public async Task Invalid_requests_are_rejected_naming_the_field_and_the_value()
    {
        var client = new Policy.PolicyClient(_channel);
        var e = await Assert.ThrowsAsync<RpcException>(() => client.GenerateAsync(new GenerateRequest { PromptTokenIds = { 1, 999 }, MaxNewTokens = 1 }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("prompt_token_ids[1]", e.Status.Detail);
        Assert.Contains("999", e.Status.Detail);
        e = await Assert.ThrowsAsync<RpcException>(() => client.GenerateAsync(new GenerateRequest { PromptTokenIds = { Enumerable.Repeat(65, 65) }, MaxNewTokens = 1 }).ResponseAsync);
        Assert.Contains("context length 64 tokens, got 65", e.Status.Detail);
    }
}
