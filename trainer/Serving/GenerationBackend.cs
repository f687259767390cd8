using AgentOps.Protos.V1;
using AgentOps.Trainer.Model;

namespace AgentOps.Trainer.Serving;

/// <summary>Maps policy.proto requests onto one batched <see cref="Generator"/> call and back.</summary>
public sealed class GenerationBackend(Generator generator, int seed)
{
    private readonly Random _seeds = new(seed);

    public IReadOnlyList<GenerateResponse> Generate(IReadOnlyList<GenerateRequest> requests)
    {
        var mapped = requests.Select(r => new GenerationRequest(
            r.PromptTokenIds.ToArray(), r.MaxNewTokens, r.Temperature, r.TopP, r.Stop.ToArray(),
            // policy.proto: seed 0 lets the server choose (from the run's seeded stream, so runs repeat).
            r.Seed != 0 ? r.Seed : (ulong)_seeds.NextInt64(1, long.MaxValue))).ToList();
        var results = generator.Generate(mapped);
        return results.Select(g =>
        {
            var response = new GenerateResponse { Text = g.Text, FinishReason = g.FinishReason };
            response.TokenIds.AddRange(g.Tokens);
            response.Logprobs.AddRange(g.LogProbs);
            return response;
        }).ToList();
    }
}
