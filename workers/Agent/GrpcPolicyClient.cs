using Grpc.Core;
using Grpc.Net.Client;
using AgentOps.Protos.V1;

namespace AgentOps.Workers.Agent;

/// <summary>
/// The trainer's `agentops.v1.Policy` service over grpc-dotnet (Grpc.Net.Client) (policy.proto): Generate with the
/// whole context as byte-tokenizer ids and the loop's stop sequences; Info for the run's phase. Every
/// RpcException (unavailable, deadline, auth) becomes <see cref="PolicyUnavailableException"/> — an
/// infrastructure failure, not the agent's.
/// </summary>
public sealed class GrpcPolicyClient(Policy.PolicyClient client, TimeSpan callTimeout, string? token = null, TimeProvider? time = null) : IPolicyClient
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Name => "grpc";

    public static GrpcPolicyClient ForAddress(string address, TimeSpan callTimeout, string? token = null, TimeProvider? time = null) =>
        new(new Policy.PolicyClient(GrpcChannel.ForAddress(address)), callTimeout, token, time);

    public async Task<PolicyCompletion> GenerateAsync(PolicyTurn turn, CancellationToken cancellationToken = default)
    {
        var request = new GenerateRequest
        {
            MaxNewTokens = turn.MaxNewTokens, Temperature = turn.Temperature, TopP = turn.TopP, Seed = turn.Seed,
        };
        request.PromptTokenIds.Add(turn.ContextTokens);
        request.Stop.Add(turn.Stop);
        var response = await CallAsync("Generate", () => client.GenerateAsync(request, Options(cancellationToken)).ResponseAsync, cancellationToken);
        if (response.Logprobs.Count != response.TokenIds.Count)
            throw new PolicyUnavailableException($"Policy.Generate returned {response.Logprobs.Count} log-probs for {response.TokenIds.Count} tokens");
        return new PolicyCompletion(response.Text, response.TokenIds.ToArray(), response.Logprobs.ToArray(), response.PolicyVersion, response.FinishReason);
    }

    /// <summary>The policy's version, step and phase ("sft", "rl", "done").</summary>
    public Task<PolicyInfo> InfoAsync(CancellationToken cancellationToken = default) =>
        CallAsync("Info", () => client.InfoAsync(new InfoRequest(), Options(cancellationToken)).ResponseAsync, cancellationToken);

    private CallOptions Options(CancellationToken cancellationToken)
    {
        var headers = new Metadata();
        if (!string.IsNullOrEmpty(token)) headers.Add("authorization", "Bearer " + token);
        return new CallOptions(headers, _time.GetUtcNow().UtcDateTime + callTimeout, cancellationToken);
    }

    private static async Task<T> CallAsync<T>(string method, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PolicyUnavailableException($"Policy.{method}: {e.StatusCode}: {e.Status.Detail}", e);
        }
        catch (HttpRequestException e)
        {
            throw new PolicyUnavailableException($"Policy.{method}: {e.Message}", e);
        }
    }
}
