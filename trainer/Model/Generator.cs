using System.Text;
using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using AgentOps.Trainer.Torch;

namespace AgentOps.Trainer.Model;

/// <summary>
/// Batched KV-cache generation: prompts of different lengths are left-padded into one batch (rotary positions
/// count from each prompt's first real token, padding keys are masked), prefilled in one forward pass, then
/// decoded one token per step for the whole batch. A sequence ends on <c>Eos</c>, on producing a stop string
/// (kept in the output), at its <c>MaxNewTokens</c>, or when the context window is full.
/// </summary>
public sealed class Generator(Transformer model)
{
    /// <summary>Generates for every request at once; results are in request order.</summary>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> requests)
    {
        if (requests.Count == 0) return [];
        var ctx = model.Config.ContextLength;
        var b = requests.Count;
        var prompts = new int[b][];
        var budget = new int[b];
        var results = new GenerationResult?[b];
        for (var i = 0; i < b; i++)
        {
            var r = requests[i];
            if (r.MaxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(requests), r.MaxNewTokens, $"request {i}: max_new_tokens must be >= 0");
            prompts[i] = r.Prompt.Count == 0 ? [ByteTokenizer.Bos] : r.Prompt.ToArray();
            foreach (var id in prompts[i])
                if (id < 0 || id >= model.Config.VocabSize)
                    throw new ArgumentOutOfRangeException(nameof(requests), id, $"request {i}: prompt token id outside [0, {model.Config.VocabSize})");
            budget[i] = Math.Min(r.MaxNewTokens, ctx - prompts[i].Length);
            if (budget[i] <= 0)
                results[i] = new GenerationResult([], [], "", prompts[i].Length >= ctx ? FinishReason.Context : FinishReason.Length);
        }
        var live = Enumerable.Range(0, b).Where(i => results[i] == null).ToArray();
        if (live.Length > 0)
        {
            var outputs = Run(live.Select(i => prompts[i]).ToArray(), live.Select(i => budget[i]).ToArray(), live.Select(i => requests[i]).ToArray());
            for (var j = 0; j < live.Length; j++) results[live[j]] = outputs[j];
        }
        return results.Select(r => r!).ToArray();
    }

    private GenerationResult[] Run(int[][] prompts, int[] budget, GenerationRequest[] requests)
    {
        var b = prompts.Length;
        var p = prompts.Max(x => x.Length);
        var steps = budget.Max();
        var v = model.Config.VocabSize;
        var dev = model.Device;
        using var noGrad = new NoGradScope();
        using var cache = model.NewCache(b, p + steps);

        // Key validity over the whole cache: left padding is false, everything generated later is true.
        var valid = new bool[b * (p + steps)];
        var tokens = new long[b * p];
        var positions = new long[b * p];
        for (var i = 0; i < b; i++)
        {
            var pad = p - prompts[i].Length;
            for (var j = 0; j < p; j++)
            {
                tokens[i * p + j] = j < pad ? ByteTokenizer.Pad : prompts[i][j - pad];
                positions[i * p + j] = Math.Max(0, j - pad);
            }
            for (var j = pad; j < p + steps; j++) valid[i * (p + steps) + j] = true;
        }
        using var validAll = Tensor.From(valid, [b, p + steps], dev).DetachFromDisposeScope();

        var rngs = requests.Select(r => new Random(unchecked((int)(r.Seed ^ (r.Seed >> 32))))).ToArray();
        var stops = requests.Select(r => (r.Stop ?? []).Where(s => s.Length > 0).Select(Encoding.UTF8.GetBytes).ToArray()).ToArray();
        var outTokens = Enumerable.Range(0, b).Select(_ => new List<int>()).ToArray();
        var outLogProbs = Enumerable.Range(0, b).Select(_ => new List<float>()).ToArray();
        var finish = new FinishReason?[b];

        float[] logits;
        using (DisposeScope.Begin())
        {
            using var t = Tensor.From(tokens, [b, p], dev);
            using var pos = Tensor.From(positions, [b, p], dev);
            var hidden = model.ForwardHidden(t, pos, validAll.Narrow(1, 0, p), cache);
            logits = model.Head(hidden.Select(1, p - 1)).ToFloatArray();
        }
        for (var step = 0; ; step++)
        {
            var next = new long[b];
            var nextPos = new long[b];
            for (var i = 0; i < b; i++)
            {
                nextPos[i] = prompts[i].Length + step;
                if (finish[i] != null)
                {
                    // A finished row still rides along (its output is ignored); a long prompt that finished early
                    // must not walk past the rotary table while a shorter neighbour keeps generating.
                    nextPos[i] = Math.Min(nextPos[i], model.Config.ContextLength - 1);
                    next[i] = ByteTokenizer.Pad;
                    continue;
                }
                var r = requests[i];
                var (tok, lp) = Sampler.Sample(logits.AsSpan(i * v, v), r.Temperature, r.TopP, rngs[i]);
                outTokens[i].Add(tok);
                outLogProbs[i].Add(lp);
                next[i] = tok;
                if (tok == ByteTokenizer.Eos || EndsWithStop(outTokens[i], stops[i])) finish[i] = FinishReason.Stop;
                else if (outTokens[i].Count >= budget[i])
                    finish[i] = prompts[i].Length + outTokens[i].Count >= model.Config.ContextLength && outTokens[i].Count < r.MaxNewTokens
                        ? FinishReason.Context : FinishReason.Length;
            }
            if (finish.All(f => f != null)) break;
            using (DisposeScope.Begin())
            {
                var t = Tensor.From(next, [b, 1], dev);
                var pos = Tensor.From(nextPos, [b, 1], dev);
                var hidden = model.ForwardHidden(t, pos, validAll.Narrow(1, 0, p + step + 1), cache);
                logits = model.Head(hidden).ToFloatArray();
            }
        }
        return Enumerable.Range(0, b).Select(i => new GenerationResult(outTokens[i].ToArray(), outLogProbs[i].ToArray(),
            ByteTokenizer.Decode(outTokens[i].ToArray()), finish[i]!.Value)).ToArray();
    }

    private static bool EndsWithStop(List<int> tokens, byte[][] stops)
    {
        foreach (var s in stops)
        {
            if (tokens.Count < s.Length) continue;
            var match = true;
            for (var k = 0; k < s.Length && match; k++) match = tokens[tokens.Count - s.Length + k] == s[k];
            if (match) return true;
        }
        return false;
    }
}
