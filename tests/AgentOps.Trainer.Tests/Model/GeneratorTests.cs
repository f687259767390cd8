using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using AgentOps.Trainer.Model;
using AgentOps.Trainer.Engine;
using static TorchSharp.torch;
using Generator = AgentOps.Trainer.Model.Generator;

namespace AgentOps.Trainer.Tests.Model;

/// <summary>A micro model trained to continue "x=" with "6*7</code>yyyy..." so stops are observable.</summary>
public sealed class TrainedMicroModel : IDisposable
{
    public const string Text = "x=6*7</code>yyyyyyyyyyyy";

    public TrainedMicroModel()
    {
        Model = new Transformer(TinyModels.Micro, seed: 11);
        TinyModels.Train(Model, [TinyModels.Seq(Text), TinyModels.Seq("q: <answer>5</answer>zzzzzzzz")], 150);
    }

    public Transformer Model { get; }

    public void Dispose() => Model.Dispose();
}

public class GeneratorTests(TrainedMicroModel fixture) : IClassFixture<TrainedMicroModel>
{
    private readonly Generator _gen = new(fixture.Model);

    private static GenerationRequest Greedy(string prompt, int max, params string[] stop) =>
        new(TinyModels.Seq(prompt), max, Temperature: 0, Stop: stop);

    [Fact]
    public void Stops_after_a_stop_string_and_keeps_it()
    {
        var r = _gen.Generate([Greedy("x=", 40, "</code>", "</answer>")])[0];
        Assert.Equal("6*7</code>", r.Text);
        Assert.Equal(FinishReason.Stop, r.FinishReason);
        Assert.Equal(r.Tokens.Length, r.LogProbs.Length);
    }

    [Fact]
    public void Stops_at_max_tokens_without_a_stop_string()
    {
        var r = _gen.Generate([Greedy("x=", 15)])[0];
        Assert.Equal(15, r.Tokens.Length);
        Assert.Equal("6*7</code>yyyyy", r.Text);
        Assert.Equal(FinishReason.Length, r.FinishReason);
    }

    [Fact]
    public void Context_window_ends_generation()
    {
        var prompt = Enumerable.Repeat((int)'y', TinyModels.Micro.ContextLength - 3).ToArray();
        var r = _gen.Generate([new GenerationRequest(prompt, 10, Temperature: 0)])[0];
        Assert.Equal(3, r.Tokens.Length);
        Assert.Equal(FinishReason.Context, r.FinishReason);
    }

    [Fact]
    public void A_long_prompt_that_fills_the_context_early_does_not_stop_a_short_neighbour()
    {
        // Found by `make run`: the long row finished at the context edge while the short one kept generating, and
        // its next position walked past the rotary table ("index out of range in self") for the whole batch.
        var ctx = TinyModels.Micro.ContextLength;
        var longPrompt = Enumerable.Repeat((int)'y', ctx - 2).ToArray();
        var results = _gen.Generate([new GenerationRequest(longPrompt, 10, Temperature: 0), Greedy("x=", 15)]);
        Assert.Equal(2, results[0].Tokens.Length);
        Assert.Equal(FinishReason.Context, results[0].FinishReason);
        Assert.Equal("6*7</code>yyyyy", results[1].Text);
    }

    [Fact]
    public void Batched_prompts_of_different_lengths_match_one_at_a_time()
    {
        var reqs = new[] { Greedy("x=", 12, "</code>"), Greedy("q: <answer>", 12, "</answer>"), Greedy("x=6", 3) };
        var batched = _gen.Generate(reqs);
        Assert.Equal("6*7</code>", batched[0].Text);
        Assert.Equal("5</answer>", batched[1].Text);
        for (var i = 0; i < reqs.Length; i++)
        {
            var single = _gen.Generate([reqs[i]])[0];
            Assert.Equal(single.Tokens, batched[i].Tokens);
            for (var k = 0; k < single.LogProbs.Length; k++) Assert.Equal(single.LogProbs[k], batched[i].LogProbs[k], 3);
        }
    }

    [Fact]
    public void Sampling_is_reproducible_with_a_seed_and_logprobs_match_teacher_forcing()
    {
        var req = new GenerationRequest(TinyModels.Seq("x"), 20, Temperature: 1.5f, TopP: 0.95f, Seed: 1234);
        var a = _gen.Generate([req, req with { Seed = 99 }]);
        var b = _gen.Generate([req, req with { Seed = 99 }]);
        Assert.Equal(a[0].Tokens, b[0].Tokens);
        Assert.Equal(a[1].Tokens, b[1].Tokens);
        Assert.Equal(a[0].LogProbs, b[0].LogProbs);

        // Reported log-probs are the untempered policy's: recompute them with one teacher-forced forward pass.
        using var scope = NewDisposeScope();
        int[] full = [.. req.Prompt, .. a[0].Tokens];
        var lp = fixture.Model.TokenLogProbs(Engine.GradCheck.Ids(full[..^1], 1, full.Length - 1), Engine.GradCheck.Ids(full[1..], 1, full.Length - 1))
            .ToFloats()[(req.Prompt.Count - 1)..];
        for (var k = 0; k < a[0].Tokens.Length; k++) Assert.Equal(lp[k], a[0].LogProbs[k], 3);
    }

    [Fact]
    public void Empty_prompts_and_zero_budgets_are_handled()
    {
        var r = _gen.Generate([new GenerationRequest([], 5, Temperature: 0), Greedy("x=", 0)]);
        Assert.True(r[0].Tokens.Length is > 0 and <= 5);
        Assert.Empty(r[1].Tokens);
        Assert.Equal(FinishReason.Length, r[1].FinishReason);
    }

    [Fact]
    public void Requests_that_join_a_running_batch_get_what_they_get_alone_and_return_as_soon_as_they_end()
    {
        // Continuous batching: a long row runs; a short prompt joins at once, a longer prompt only once the batch's
        // cache position has reached its length, and a sampled one joins too (more rows than the batch started with).
        var longRow = Greedy("x=", 20);
        var joiners = new List<GenerationRequest>
        {
            Greedy("x=", 12, "</code>"),
            Greedy("q: <answer>", 12, "</answer>"),
            new(TinyModels.Seq("x"), 10, Temperature: 1.5f, TopP: 0.95f, Seed: 77),
        };
        var waiting = new List<GenerationRequest>(joiners);
        var admittedAt = new Dictionary<GenerationRequest, int>();
        var order = new List<int>();
        var results = new Dictionary<int, GenerationResult>();
        var calls = 0;
        _gen.Generate([longRow], (generating, fits) =>
        {
            calls++;
            var now = waiting.Where(fits).ToList();
            foreach (var r in now) { waiting.Remove(r); admittedAt[r] = calls; }
            return now;
        }, (i, r) => { order.Add(i); results[i] = r; });

        Assert.Empty(waiting);
        Assert.Equal(4, results.Count);
        // The 12-token prompt could not join at the first step (the batch's cache held 3 positions).
        Assert.Equal(1, admittedAt[joiners[0]]);
        Assert.True(admittedAt[joiners[1]] > 1, $"joined at call {admittedAt[joiners[1]]}");
        // Indices follow admission order; the short rows ended (and were reported) before the 20-token one.
        Assert.Equal(0, order[^1]);
        var byIndex = new List<GenerationRequest> { longRow };
        byIndex.AddRange(joiners.OrderBy(r => admittedAt[r]).ThenBy(joiners.IndexOf));
        for (var i = 0; i < byIndex.Count; i++)
        {
            var alone = _gen.Generate([byIndex[i]])[0];
            Assert.Equal(alone.Tokens, results[i].Tokens);
            Assert.Equal(alone.FinishReason, results[i].FinishReason);
            for (var k = 0; k < alone.LogProbs.Length; k++) Assert.Equal(alone.LogProbs[k], results[i].LogProbs[k], 3);
        }
        Assert.Equal("6*7</code>", results[byIndex.IndexOf(joiners[0])].Text);
        Assert.Equal("5</answer>", results[byIndex.IndexOf(joiners[1])].Text);
    }

    [Fact]
    public void A_session_longer_than_its_cache_drops_the_positions_of_ended_rows_and_rows_still_get_what_they_get_alone()
    {
        // Ten 20-token requests, each joining as the one before it ends: ~200 cache positions in one session, while
        // the cache holds 2 x 96 = 192. Without dropping the ended rows' positions the later ones could not join.
        var requests = Enumerable.Range(0, 10).Select(i => i % 2 == 0 ? Greedy("x=", 20) : Greedy("q: <answer>", 20)).ToList();
        var waiting = new Queue<GenerationRequest>(requests.Skip(1));
        var results = new Dictionary<int, GenerationResult>();
        var rebasesBefore = _gen.Rebases;

        _gen.Generate([requests[0]], (generating, fits) =>
            generating == 0 && waiting.Count > 0 && fits(waiting.Peek()) ? [waiting.Dequeue()] : [],
            (i, r) => results[i] = r);

        Assert.Empty(waiting);
        Assert.Equal(10, results.Count);
        Assert.True(_gen.Rebases > rebasesBefore, "the session never rebased its cache");
        for (var i = 0; i < requests.Count; i++)
        {
            var alone = _gen.Generate([requests[i]])[0];
            Assert.Equal(alone.Tokens, results[i].Tokens);
            for (var k = 0; k < alone.LogProbs.Length; k++) Assert.Equal(alone.LogProbs[k], results[i].LogProbs[k], 3);
        }
    }
}
