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
        _thread = new Thread(Run) { IsBackground = true, Name = "policy-generate" };
        _thread.Start();
    }

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
        var pending = new Pending(request, cancellationToken);
        if (!_requests.Writer.TryWrite(pending))
            throw new ObjectDisposedException(nameof(GenerateBatcher), "the policy server is shutting down");
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
            void Generate() => (responses, version) = _gate.Read(v => (_generate(batch.Select(p => p.Request).ToList()), v));
            if (_torchThread is null) Generate();
            else _torchThread(Generate);
            if (responses.Count != batch.Count)
                throw new InvalidOperationException($"generation returned {responses.Count} responses for {batch.Count} requests");
            for (var i = 0; i < batch.Count; i++)
            {
                responses[i].PolicyVersion = version;
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
    }

    private sealed record Pending(GenerateRequest Request, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<GenerateResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
