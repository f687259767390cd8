using Grpc.Core;
using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;

namespace AgentOps.Trainer.Serving;

/// <summary>
/// Policy.Generate and Policy.Info (policy.proto) over grpc-dotnet. Requests are validated here (errors
/// name the field and the value, as INVALID_ARGUMENT), then batched by the <see cref="GenerateBatcher"/>.
/// </summary>
public sealed class PolicyService(GenerateBatcher batcher, Func<PolicyInfo> info, int contextLength) : Policy.PolicyBase
{
    public override async Task<GenerateResponse> Generate(GenerateRequest request, ServerCallContext context)
    {
        if (request.MaxNewTokens < 0)
            throw Invalid($"max_new_tokens: must be >= 0, got {request.MaxNewTokens}");
        if (request.Temperature < 0 || !float.IsFinite(request.Temperature))
            throw Invalid($"temperature: must be a finite number >= 0, got {request.Temperature}");
        if (request.TopP < 0 || request.TopP > 1)
            throw Invalid($"top_p: must be between 0 and 1, got {request.TopP}");
        if (request.PromptTokenIds.Count > contextLength)
            throw Invalid($"prompt_token_ids: at most the context length {contextLength} tokens, got {request.PromptTokenIds.Count}");
        for (var i = 0; i < request.PromptTokenIds.Count; i++)
        {
            var id = request.PromptTokenIds[i];
            if (id < 0 || id >= ByteTokenizer.VocabSize)
                throw Invalid($"prompt_token_ids[{i}]: must be in [0, {ByteTokenizer.VocabSize}), got {id}");
        }
        try
        {
            return await batcher.GenerateAsync(request, context.CancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
    }

    public override Task<PolicyInfo> Info(InfoRequest request, ServerCallContext context) => Task.FromResult(info());

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
