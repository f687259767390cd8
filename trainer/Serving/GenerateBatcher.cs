using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using AgentOps.Protos.V1;

namespace AgentOps.Trainer.Serving;

/// <summary>
/// One generation session (continuous batching): starts with <c>first</c>; between decode steps asks
/// <c>more(rows generating, fits)</c> for requests to join (only ones <c>fits</c> accepts); reports each response
/// through <c>done(index in admission order, response)</c> as soon as it ends; returns when nothing is left.
/// </summary>
public delegate void GenerateSession(IReadOnlyList<GenerateRequest> first,
    Func<int, Func<GenerateRequest, bool>, IReadOnlyList<GenerateRequest>> more, Action<int, GenerateResponse> done);

/// <summary>
/// Gathers concurrent Generate calls for at most <c>window</c> (or until <c>maxBatch</c> are waiting) into one
/// generation session, run under the read side of the <see cref="PolicyVersionGate"/>; with a
/// <see cref="GenerateSession"/>, requests that arrive while it runs join it between decode steps (continuous
/// batching, as vLLM and SGLang serve) and each response is sent as soon as its row ends. A session winds down
/// (admits no one, ends with its rows) when an update waits. Every response carries the version that produced it.
/// </summary>
public sealed class GenerateBatcher : IAsyncDisposable
{
    private readonly Channel<Pending> _requests = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly GenerateSession _generate;
    private readonly Func<bool> _windDown;
    private readonly List<Pending> _deferred = []; // read from the channel but could not join the session then
    private readonly PolicyVersionGate _gate;
    private readonly TimeSpan _window;
    private readonly int _maxBatch;
    private readonly TimeProvider _time;
    private readonly Thread _thread;
    private readonly Action<Action>? _torchThread;
    private long _batches;
    private long _requestsServed;
    private long _waiting;
    private readonly Meter _meter = new("AgentOps.Policy");
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _batchSeconds;
    private readonly Histogram<double> _queueSeconds;
    private readonly Counter<long> _generatedTokens;

    /// <param name="generate">One batched generation: one response per request, in order (version left unset).</param>
    /// <param name="torchThread">Runs a batch (gate and all) on the thread that owns libtorch work, and waits: the
    /// trainer passes its learner thread so generation and updates never run two OpenMP teams on the same cores.</param>
    public GenerateBatcher(Func<IReadOnlyList<GenerateRequest>, IReadOnlyList<GenerateResponse>> generate, PolicyVersionGate gate, TimeSpan window, int maxBatch, TimeProvider? time = null, Action<Action>? torchThread = null)
        : this(Whole(generate), gate, window, maxBatch, time, torchThread)
    {
    }

    /// <param name="generate">A continuous-batching session (new requests join while it runs).</param>
    /// <param name="windDown">True when other work waits for the session (a learner step): it admits no one else
    /// and ends when its rows do. The gate's waiting update always counts.</param>
    public GenerateBatcher(GenerateSession generate, PolicyVersionGate gate, TimeSpan window, int maxBatch, TimeProvider? time = null,
        Action<Action>? torchThread = null, Func<bool>? windDown = null)
    {
        _windDown = windDown is null ? () => gate.UpdateWaiting : () => gate.UpdateWaiting || windDown();
        _torchThread = torchThread;
        _time = time ?? TimeProvider.System;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _generate = generate;
        _gate = gate;
        _window = window;
        _maxBatch = maxBatch;
        _batchSize = _meter.CreateHistogram("agentops_policy_generate_batch_size", unit: "{request}",
            description: "Requests served per generation session (the first batch and every request that joined it).",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });
        _batchSeconds = _meter.CreateHistogram<double>("agentops_policy_generate_batch_duration", unit: "s",
            description: "Wall time of one generation session (from its first prefill until its last row ends).");
        _queueSeconds = _meter.CreateHistogram<double>("agentops_policy_generate_queue_duration", unit: "s",
            description: "Time a request waited before its batch started (behind the batch running, a learner step, or the batching window).");
        _generatedTokens = _meter.CreateCounter<long>("agentops_policy_generated_tokens", unit: "{token}", description: "Tokens generated for Generate calls.");
        _meter.CreateObservableGauge("agentops_policy_generate_requests_waiting", () => Interlocked.Read(ref _waiting),
            unit: "{request}", description: "Generate requests received and not yet in a running batch.");
        _thread = new Thread(Run) { IsBackground = true, Name = "policy-generate" };
        _thread.Start();
    }

    /// <summary>The serving instruments (meter "AgentOps.Policy", exported as agentops_policy_*).</summary>
    public Meter Meter => _meter;

    /// <summary>Batched generations run so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Requests answered so far.</summary>
    public long RequestsServed => Interlocked.Read(ref _requestsServed);

    /// <summary>The size of each batch run, most recent last (bounded to the last 1024).</summary>
    public IReadOnlyList<int> RecentBatchSizes
    {
        get { lock (_sizes) return [.. _sizes]; }
    }

    private readonly Queue<int> _sizes = new();

    public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(request, cancellationToken) { Received = Stopwatch.GetTimestamp() };
        Interlocked.Increment(ref _waiting);
        if (!_requests.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref _waiting);
            throw new ObjectDisposedException(nameof(GenerateBatcher), "the policy server is shutting down");
        }
        return pending.Completion.Task;
    }

    /// <summary>A whole-batch generator as a session that admits no one once started.</summary>
    private static GenerateSession Whole(Func<IReadOnlyList<GenerateRequest>, IReadOnlyList<GenerateResponse>> generate) => (first, _, done) =>
    {
        var responses = generate(first);
        if (responses.Count != first.Count)
            throw new InvalidOperationException($"generation returned {responses.Count} responses for {first.Count} requests");
        for (var i = 0; i < responses.Count; i++) done(i, responses[i]);
    };

    private void Run()
    {
        var reader = _requests.Reader;
        var batch = new List<Pending>(_maxBatch);
        while (true)
        {
            batch.Clear();
            // Requests that could not join the last session start the next one, without waiting for the window.
            batch.AddRange(_deferred.Take(_maxBatch));
            _deferred.RemoveRange(0, batch.Count);
            if (batch.Count > 0)
            {
                RunBatch(batch);
                continue;
            }
            try
            {
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) return;
            }
            catch (ChannelClosedException)
            {
                return;
            }
            var deadline = _time.GetUtcNow() + _window;
            while (batch.Count < _maxBatch)
            {
                if (reader.TryRead(out var p))
                {
                    Interlocked.Decrement(ref _waiting);
                    if (p.CancellationToken.IsCancellationRequested) p.Completion.TrySetCanceled(p.CancellationToken);
                    else batch.Add(p);
                    continue;
                }
                var left = deadline - _time.GetUtcNow();
                if (left <= TimeSpan.Zero) break;
                using var cts = new CancellationTokenSource(left, _time);
                try
                {
                    if (!reader.WaitToReadAsync(cts.Token).AsTask().GetAwaiter().GetResult()) break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            if (batch.Count == 0) continue;
            RunBatch(batch);
        }
    }

    private void RunBatch(List<Pending> batch)
    {
        var admitted = new List<Pending>(batch);
        var served = 0;
        try
        {
            var started = 0L;
            void Generate()
            {
                started = Stopwatch.GetTimestamp();
                // Counted before any answer goes out: a caller who has its answer sees its batch and itself in the counts.
                Interlocked.Increment(ref _batches);
                foreach (var p in batch) _queueSeconds.Record(Stopwatch.GetElapsedTime(p.Received, started).TotalSeconds);
                _gate.Read(version =>
                {
                    _generate([.. batch.Select(p => p.Request)], More, (i, response) =>
                    {
                        response.PolicyVersion = version;
                        _generatedTokens.Add(response.TokenIds.Count);
                        served++;
                        Interlocked.Increment(ref _requestsServed);
                        admitted[i].Completion.TrySetResult(response);
                    });
                    return version;
                });
            }
            if (_torchThread is null) Generate();
            else _torchThread(Generate);
            if (served != admitted.Count)
                throw new InvalidOperationException($"generation answered {served} of {admitted.Count} requests");
            _batchSeconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            _batchSize.Record(admitted.Count);
            lock (_sizes)
            {
                _sizes.Enqueue(admitted.Count);
                if (_sizes.Count > 1024) _sizes.Dequeue();
            }
        }
        catch (Exception e)
        {
            foreach (var p in admitted) p.Completion.TrySetException(e);
        }

        // Between decode steps: requests that arrived meanwhile join, up to maxBatch rows, unless work waits.
        IReadOnlyList<GenerateRequest> More(int generating, Func<GenerateRequest, bool> fits)
        {
            if (_windDown()) return [];
            var room = _maxBatch - generating;
            var joining = new List<GenerateRequest>();
            var now = Stopwatch.GetTimestamp();
            void Join(Pending p)
            {
                _queueSeconds.Record(Stopwatch.GetElapsedTime(p.Received, now).TotalSeconds);
                admitted.Add(p);
                joining.Add(p.Request);
            }
            for (var i = 0; i < _deferred.Count && joining.Count < room; i++)
            {
                if (!fits(_deferred[i].Request)) continue;
                Join(_deferred[i]);
                _deferred.RemoveAt(i--);
            }
            while (joining.Count < room && _requests.Reader.TryRead(out var p))
            {
                Interlocked.Decrement(ref _waiting);
                if (p.CancellationToken.IsCancellationRequested) p.Completion.TrySetCanceled(p.CancellationToken);
                else if (fits(p.Request)) Join(p);
                else _deferred.Add(p);
            }
            return joining;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await Task.Run(() => _thread.Join()).ConfigureAwait(false);
        foreach (var p in _deferred.Concat(Drain()))
            p.Completion.TrySetException(new ObjectDisposedException(nameof(GenerateBatcher), "the policy server shut down"));
        _meter.Dispose();

        IEnumerable<Pending> Drain()
        {
            while (_requests.Reader.TryRead(out var p)) yield return p;
        }
    }

    private sealed record Pending(GenerateRequest Request, CancellationToken CancellationToken)
    {
        public long Received { get; init; }

        public TaskCompletionSource<GenerateResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
