using AgentOps.Protos.V1;
using AgentOps.Trainer.Model;

namespace AgentOps.Trainer.Serving;

/// <summary>Maps policy.proto requests onto one batched <see cref="Generator"/> call and back.</summary>
public sealed class GenerationBackend(Generator generator, int seed)
{
    private readonly Random _seeds = new(seed);

    public IReadOnlyList<GenerateResponse> Generate(IReadOnlyList<GenerateRequest> requests) =>
        generator.Generate(requests.Select(Map).ToList()).Select(Response).ToList();

    /// <summary>A continuous-batching session (<see cref="GenerateSession"/>) on the generator.</summary>
    public void Session(IReadOnlyList<GenerateRequest> first, Func<int, Func<GenerateRequest, bool>, IReadOnlyList<GenerateRequest>> more,
        Action<int, GenerateResponse> done)
    {
        // A request is mapped (its seed drawn) once, whether it fits now or is asked about again later.
        var mapped = new Dictionary<GenerateRequest, GenerationRequest>(ReferenceEqualityComparer.Instance);
        GenerationRequest Mapped(GenerateRequest r)
        {
            if (!mapped.TryGetValue(r, out var m)) mapped[r] = m = Map(r);
            return m;
        }
        generator.Generate(first.Select(Mapped).ToList(),
            (generating, fits) => more(generating, r => fits(Mapped(r))).Select(r => { var m = Mapped(r); mapped.Remove(r); return m; }).ToList(),
            (i, g) => done(i, Response(g)));
    }

    private GenerationRequest Map(GenerateRequest r) => new(r.PromptTokenIds.ToArray(), r.MaxNewTokens, r.Temperature, r.TopP, r.Stop.ToArray(),
        // policy.proto: seed 0 lets the server choose (from the run's seeded stream, so runs repeat).
        r.Seed != 0 ? r.Seed : (ulong)_seeds.NextInt64(1, long.MaxValue));

    private static GenerateResponse Response(GenerationResult g)
    {
        var response = new GenerateResponse { Text = g.Text, FinishReason = g.FinishReason };
        response.TokenIds.AddRange(g.Tokens);
        response.Logprobs.AddRange(g.LogProbs);
        return response;
    }
}
