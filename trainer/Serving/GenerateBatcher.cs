using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using AgentOps.Protos.V1;

namespace AgentOps.Trainer.Serving;

/// <summary>
/// Gathers concurrent Generate calls for at most <c>window</c> (or until <c>maxBatch</c> are waiting) into one
/// batched generation (continuous batching in the small, as vLLM/SGLang servers batch requests), run on one
/// dedicated thread under the read side of the <see cref="PolicyVersionGate"/>; every response carries the
/// version that produced it.
/// </summary>
public sealed class GenerateBatcher : IAsyncDisposable
{
    private readonly Channel<Pending> _requests = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<GenerateRequest>, IReadOnlyList<GenerateResponse>> _generate;
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
    {
        _torchThread = torchThread;
        _time = time ?? TimeProvider.System;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _generate = generate;
        _gate = gate;
        _window = window;
        _maxBatch = maxBatch;
        _batchSize = _meter.CreateHistogram("agentops_policy_generate_batch_size", unit: "{request}",
            description: "Requests per batched generation.", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });
        _batchSeconds = _meter.CreateHistogram<double>("agentops_policy_generate_batch_duration", unit: "s",
            description: "Wall time of one batched generation (prefill and every decode step, until its longest row ends).");
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

    private void Run()
    {
        var reader = _requests.Reader;
        var batch = new List<Pending>(_maxBatch);
        while (true)
        {
            batch.Clear();
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
        try
        {
            IReadOnlyList<GenerateResponse> responses = [];
            long version = 0;
            var started = 0L;
            void Generate()
            {
                started = Stopwatch.GetTimestamp();
                foreach (var p in batch) _queueSeconds.Record(Stopwatch.GetElapsedTime(p.Received, started).TotalSeconds);
                (responses, version) = _gate.Read(v => (_generate(batch.Select(p => p.Request).ToList()), v));
            }
            if (_torchThread is null) Generate();
            else _torchThread(Generate);
            if (responses.Count != batch.Count)
                throw new InvalidOperationException($"generation returned {responses.Count} responses for {batch.Count} requests");
            _batchSeconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            _batchSize.Record(batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                responses[i].PolicyVersion = version;
                _generatedTokens.Add(responses[i].TokenIds.Count);
                batch[i].Completion.TrySetResult(responses[i]);
            }
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _requestsServed, batch.Count);
            lock (_sizes)
            {
                _sizes.Enqueue(batch.Count);
                if (_sizes.Count > 1024) _sizes.Dequeue();
            }
        }
        catch (Exception e)
        {
            foreach (var p in batch) p.Completion.TrySetException(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await Task.Run(() => _thread.Join()).ConfigureAwait(false);
        while (_requests.Reader.TryRead(out var p))
            p.Completion.TrySetException(new ObjectDisposedException(nameof(GenerateBatcher), "the policy server shut down"));
        _meter.Dispose();
    }

    private sealed record Pending(GenerateRequest Request, CancellationToken CancellationToken)
    {
        public long Received { get; init; }

        public TaskCompletionSource<GenerateResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
