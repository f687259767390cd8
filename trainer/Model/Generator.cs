using System.Text;
using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using AgentOps.Trainer.Engine;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Model;

/// <summary>
/// Batched KV-cache generation with continuous batching (Orca's iteration-level scheduling, as vLLM and SGLang
/// serve): the first prompts are left-padded into one batch and prefilled in one forward pass, then decoded one
/// token per step for the whole batch; a row that ends is returned at once and its slot is free, and between
/// decode steps new prompts join: each is prefilled on its own and its keys are written into a free slot,
/// right-aligned to the batch's current cache position (the slots before it are masked). Rotary positions count
/// from each prompt's own first token, so a row's tokens and log-probs do not depend on when it joined or on its
/// neighbours. The cache position only advances, so when every live row's keys start past a quarter of it the
/// cache is rebased: the positions no live row attends are dropped and the rest moved to the front (a decode step
/// reads every position up to the current one, for every row: without it a long session read ~1,000 positions per
/// row per step for rows of ~100 tokens). A sequence ends on <c>Eos</c>, on producing a stop string (kept in the
/// output), at its <c>MaxNewTokens</c>, or when the context window is full.
/// </summary>
public sealed class Generator(Transformer model)
{
    private long _rebases;

    /// <summary>Cache rebases so far, over all sessions.</summary>
    internal long Rebases => Interlocked.Read(ref _rebases);

    /// <summary>Generates for every request at once; results are in request order.</summary>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> requests)
    {
        var results = new GenerationResult[requests.Count];
        Generate(requests, NoMore, (i, r) => results[i] = r);
        return results;
    }

    /// <summary>
    /// Continuous batching. Starts with <paramref name="first"/>; between decode steps calls
    /// <paramref name="more"/>(rows generating, fits) for requests to add (only ones for which fits is true can join
    /// now: the caller keeps the others for later); reports each result through <paramref name="done"/> with the
    /// request's index in admission order (first's indices, then each joined request's) as soon as it ends.
    /// Returns when no row is left and <paramref name="more"/> has nothing.
    /// </summary>
    public void Generate(IReadOnlyList<GenerationRequest> first, Func<int, Func<GenerationRequest, bool>, IReadOnlyList<GenerationRequest>> more,
        Action<int, GenerationResult> done)
    {
        using var noGrad = no_grad();
        using var session = new Session(model, first, done, continuous: !ReferenceEquals(more, NoMore));
        session.Run(more);
        Interlocked.Add(ref _rebases, session.Rebases);
    }

    /// <summary>No joiners: the cache is sized for the first batch alone (compared by reference).</summary>
    private static readonly Func<int, Func<GenerationRequest, bool>, IReadOnlyList<GenerationRequest>> NoMore = static (_, _) => [];

    /// <summary>One batch's rows, its cache and the bookkeeping of who sits in which row.</summary>
    private sealed class Session : IDisposable
    {
        private readonly Transformer _model;
        private readonly Action<int, GenerationResult> _done;
        private readonly int _ctx;
        private readonly int _vocab;
        private readonly Device _dev;
        private Row?[] _rows;
        private KvCache _cache;
        private float[] _keyBias; // [rows x capacity]: Functional.Blocked on padding and the slots before a joined row, else 0
        private Tensor? _keyBiasTensor;
        private float[] _logits; // [rows x vocab]: the next-token logits of each live row
        private int _admitted;

        public int Rebases { get; private set; }

        public Session(Transformer model, IReadOnlyList<GenerationRequest> first, Action<int, GenerationResult> done, bool continuous)
        {
            _model = model;
            _done = done;
            _ctx = model.Config.ContextLength;
            _vocab = model.Config.VocabSize;
            _dev = model.Device;
            var rows = new List<(Row Row, int[] Prompt)>();
            foreach (var r in first)
                if (Start(r) is { } row) rows.Add((row, row.Prompt));
            var p = rows.Count == 0 ? 1 : rows.Max(x => x.Prompt.Length);
            var steps = rows.Count == 0 ? 1 : rows.Max(x => x.Row.Budget);
            // Alone, the cache needs only the first batch's length; joining rows need room after it.
            var capacity = continuous ? Math.Max(p + steps, 2 * _ctx) : p + steps;
            var b = Math.Max(1, rows.Count);
            _rows = new Row?[b];
            _cache = model.NewCache(b, capacity);
            _keyBias = new float[b * capacity];
            _logits = new float[b * _vocab];
            if (rows.Count > 0) Prefill(rows, p);
        }

        private int Capacity => _cache.Capacity;

        /// <summary>A row for <paramref name="r"/>, or null when it ends before generating (reported at once).</summary>
        private Row? Start(GenerationRequest r)
        {
            var index = _admitted++;
            if (r.MaxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(r), r.MaxNewTokens, $"request {index}: max_new_tokens must be >= 0");
            int[] prompt = r.Prompt.Count == 0 ? [ByteTokenizer.Bos] : [.. r.Prompt];
            foreach (var id in prompt)
                if (id < 0 || id >= _vocab)
                    throw new ArgumentOutOfRangeException(nameof(r), id, $"request {index}: prompt token id outside [0, {_vocab})");
            var budget = Math.Min(r.MaxNewTokens, _ctx - prompt.Length);
            if (budget <= 0)
            {
                _done(index, new GenerationResult([], [], "", prompt.Length >= _ctx ? FinishReason.Context : FinishReason.Length));
                return null;
            }
            return new Row(index, r, prompt, budget);
        }

        /// <summary>The first batch: left-padded to the longest prompt, one forward pass.</summary>
        private void Prefill(List<(Row Row, int[] Prompt)> rows, int p)
        {
            var b = rows.Count;
            var tokens = new long[b * p];
            var positions = new long[b * p];
            for (var i = 0; i < b; i++)
            {
                var prompt = rows[i].Prompt;
                var pad = p - prompt.Length;
                for (var j = 0; j < p; j++)
                {
                    tokens[i * p + j] = j < pad ? ByteTokenizer.Pad : prompt[j - pad];
                    positions[i * p + j] = Math.Max(0, j - pad);
                }
                MaskFrom(i, pad);
                rows[i].Row.CacheStart = pad;
                _rows[i] = rows[i].Row;
            }
            using var scope = NewDisposeScope();
            var hidden = _model.ForwardHidden(tensor(tokens, [b, p], device: _dev), tensor(positions, [b, p], device: _dev), KeyBiasUpTo(p), _cache);
            _model.Head(hidden.select(1, p - 1)).ToFloats().CopyTo(_logits, 0);
        }

        public void Run(Func<int, Func<GenerationRequest, bool>, IReadOnlyList<GenerationRequest>> more)
        {
            var next = new long[_rows.Length];
            var nextPos = new long[_rows.Length];
            while (true)
            {
                for (var i = 0; i < _rows.Length; i++)
                    if (_rows[i] is { } row) SampleInto(i, row);
                Admit(more);
                if (_rows.All(r => r is null)) return;
                Rebase();
                if (next.Length != _rows.Length)
                {
                    next = new long[_rows.Length];
                    nextPos = new long[_rows.Length];
                }
                for (var i = 0; i < _rows.Length; i++)
                {
                    // An empty row still rides along (its output is ignored) at a position inside the rotary table.
                    next[i] = _rows[i]?.Last ?? ByteTokenizer.Pad;
                    nextPos[i] = Math.Min(_rows[i]?.NextPosition ?? 0, _ctx - 1);
                }
                var length = _cache.Length;
                using var scope = NewDisposeScope();
                var hidden = _model.ForwardHidden(tensor(next, [_rows.Length, 1], device: _dev), tensor(nextPos, [_rows.Length, 1], device: _dev),
                    KeyBiasUpTo(length + 1), _cache);
                _model.Head(hidden).ToFloats().CopyTo(_logits, 0);
            }
        }

        /// <summary>Samples row <paramref name="i"/>'s next token; reports and frees the row when it ends.</summary>
        private void SampleInto(int i, Row row)
        {
            var r = row.Request;
            var (tok, lp) = Sampler.Sample(_logits.AsSpan(i * _vocab, _vocab), r.Temperature, r.TopP, row.Rng);
            row.Tokens.Add(tok);
            row.LogProbs.Add(lp);
            FinishReason? finish = null;
            if (tok == ByteTokenizer.Eos || row.EndsWithStop()) finish = FinishReason.Stop;
            else if (row.Tokens.Count >= row.Budget)
                finish = row.Prompt.Length + row.Tokens.Count >= _ctx && row.Tokens.Count < r.MaxNewTokens ? FinishReason.Context : FinishReason.Length;
            if (finish is null) return;
            _rows[i] = null;
            var tokens = row.Tokens.ToArray();
            _done(row.Index, new GenerationResult(tokens, [.. row.LogProbs], ByteTokenizer.Decode(tokens), finish.Value));
        }

        /// <summary>New rows between decode steps: into free rows, else into rows added to the batch.</summary>
        private void Admit(Func<int, Func<GenerationRequest, bool>, IReadOnlyList<GenerationRequest>> more)
        {
            var length = _cache.Length;
            bool Fits(GenerationRequest r)
            {
                var p = Math.Max(1, r.Prompt.Count);
                return p <= length && length + Math.Min(r.MaxNewTokens, _ctx - p) <= Capacity;
            }
            var joining = more(_rows.Count(r => r is not null), Fits);
            for (var n = 0; n < joining.Count; n++)
            {
                var r = joining[n];
                if (!Fits(r)) throw new InvalidOperationException($"a joining request does not fit: prompt {r.Prompt.Count} tokens, cache at {length} of {Capacity}");
                if (Start(r) is not { } row) continue;
                var slot = Array.IndexOf(_rows, null);
                if (slot < 0) slot = Grow(joining.Count - n);
                Join(slot, row, length);
                SampleInto(slot, row);
            }
        }

        /// <summary>Prefills <paramref name="row"/> alone and writes its keys and values into row <paramref name="slot"/>,
        /// ending at the cache's current <paramref name="length"/>.</summary>
        private void Join(int slot, Row row, int length)
        {
            var p = row.Prompt.Length;
            var start = length - p;
            using var scope = NewDisposeScope();
            using var own = _model.NewCache(1, p);
            var positions = Enumerable.Range(0, p).Select(x => (long)x).ToArray();
            var hidden = _model.ForwardHidden(tensor(row.Prompt.Select(x => (long)x).ToArray(), [1, p], device: _dev), tensor(positions, [1, p], device: _dev), null, own);
            for (var l = 0; l < _model.Config.Layers; l++)
            {
                _cache.Keys[l].narrow(0, slot, 1).narrow(2, start, p).copy_(own.Keys[l]);
                _cache.Values[l].narrow(0, slot, 1).narrow(2, start, p).copy_(own.Values[l]);
            }
            MaskFrom(slot, start);
            row.CacheStart = start;
            _keyBiasTensor?.Dispose();
            _keyBiasTensor = null;
            _model.Head(hidden.select(1, p - 1)).ToFloats().CopyTo(_logits, slot * _vocab);
            _rows[slot] = row;
        }

        /// <summary>
        /// Room for <paramref name="needed"/> more rows (all rows busy): the cache and masks grow by half their rows
        /// or by <paramref name="needed"/>, whichever is more, copying only the positions written so far; returns the
        /// first new row. (Growing one row per joiner copied the whole cache each time: from 16 to 64 rows, 48
        /// copies of up to 256 MB for the tiny preset.)
        /// </summary>
        private int Grow(int needed)
        {
            var b = _rows.Length;
            var rows = b + Math.Max(needed, Math.Max(1, b / 2));
            var length = _cache.Length;
            using var scope = NewDisposeScope();
            var grown = _model.NewCache(rows, Capacity);
            if (length > 0)
                for (var l = 0; l < _model.Config.Layers; l++)
                {
                    grown.Keys[l].narrow(0, 0, b).narrow(2, 0, length).copy_(_cache.Keys[l].narrow(2, 0, length));
                    grown.Values[l].narrow(0, 0, b).narrow(2, 0, length).copy_(_cache.Values[l].narrow(2, 0, length));
                }
            grown.Length = length;
            _cache.Dispose();
            _cache = grown;
            Array.Resize(ref _rows, rows);
            Array.Resize(ref _keyBias, rows * Capacity);
            Array.Resize(ref _logits, rows * _vocab);
            _keyBiasTensor?.Dispose();
            _keyBiasTensor = null;
            return b;
        }

        /// <summary>
        /// Drops the cache positions before the earliest live row's first key (those keys belong to rows that ended
        /// or are padding) once they are at least <see cref="MinRebase"/> and a quarter of the cache length, moving
        /// the rest to the front; row masks shift with them. Keys carry their rotary positions already, so
        /// nothing a row computes changes.
        /// </summary>
        private void Rebase()
        {
            var length = _cache.Length;
            var drop = int.MaxValue;
            foreach (var row in _rows)
                if (row is not null) drop = Math.Min(drop, row.CacheStart);
            if (drop == int.MaxValue || drop < MinRebase || 4 * drop < length) return;
            var keep = length - drop;
            using (NewDisposeScope())
            {
                for (var l = 0; l < _model.Config.Layers; l++)
                {
                    // Source and destination overlap: copy through a contiguous clone.
                    _cache.Keys[l].narrow(2, 0, keep).copy_(_cache.Keys[l].narrow(2, drop, keep).clone());
                    _cache.Values[l].narrow(2, 0, keep).copy_(_cache.Values[l].narrow(2, drop, keep).clone());
                }
            }
            _cache.Length = keep;
            Rebases++;
            for (var i = 0; i < _rows.Length; i++)
            {
                // A free row rides along with every key visible (its output is ignored; the mask keeps it finite).
                var start = _rows[i] is { } row ? row.CacheStart -= drop : 0;
                MaskFrom(i, start);
            }
            _keyBiasTensor?.Dispose();
            _keyBiasTensor = null;
        }

        /// <summary>Row <paramref name="row"/> attends the cache positions from <paramref name="start"/> on (the ones before
        /// are padding or other rows' keys).</summary>
        private void MaskFrom(int row, int start)
        {
            for (var j = 0; j < Capacity; j++) _keyBias[row * Capacity + j] = j >= start ? 0f : (float)Functional.Blocked;
        }

        /// <summary>Fewer dropped positions than this are not worth a rebase's copy.</summary>
        private const int MinRebase = 16;

        /// <summary>The key mask over cache positions [0, <paramref name="length"/>).</summary>
        private Tensor KeyBiasUpTo(int length)
        {
            _keyBiasTensor ??= tensor(_keyBias, [_rows.Length, Capacity], device: _dev).DetachFromDisposeScope();
            return _keyBiasTensor.narrow(1, 0, length);
        }

        public void Dispose()
        {
            _keyBiasTensor?.Dispose();
            _cache.Dispose();
        }
    }

    /// <summary>A sequence being generated.</summary>
    private sealed class Row(int index, GenerationRequest request, int[] prompt, int budget)
    {
        private readonly byte[][] _stops = (request.Stop ?? []).Where(s => s.Length > 0).Select(Encoding.UTF8.GetBytes).ToArray();

        public int Index { get; } = index;
        public GenerationRequest Request { get; } = request;
        public int[] Prompt { get; } = prompt;
        public int Budget { get; } = budget;
        public Random Rng { get; } = new(unchecked((int)(request.Seed ^ (request.Seed >> 32))));
        public List<int> Tokens { get; } = [];
        public List<float> LogProbs { get; } = [];
        public int Last => Tokens[^1];
        /// <summary>The cache position of this row's first key (padding and earlier rows' keys lie before it).</summary>
        public int CacheStart { get; set; }
        /// <summary>The rotary position of the token fed next (the last sampled one).</summary>
        public int NextPosition => Prompt.Length + Tokens.Count - 1;

        public bool EndsWithStop()
        {
            foreach (var s in _stops)
            {
                if (Tokens.Count < s.Length) continue;
                var match = true;
                for (var k = 0; k < s.Length && match; k++) match = Tokens[Tokens.Count - s.Length + k] == s[k];
                if (match) return true;
            }
            return false;
        }
    }
}
