using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using AgentOps.Protos.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Queue;

/// <summary>
/// The trainer's read loop over an <see cref="ITrajectoryQueue"/> (Redis Streams consumer-group pattern): reads
/// batches, every <see cref="TrajectoryConsumerOptions.ClaimInterval"/> claims entries a dead consumer left pending
/// longer than <see cref="TrajectoryConsumerOptions.ClaimIdle"/>, hands each batch to the trainer and acknowledges
/// it only after the hand-off returned — so a trainer that dies mid-hand-off leaves the batch pending for the next
/// one (at-least-once). A hand-off that throws ends <see cref="RunAsync"/> with that exception, unacknowledged.
/// Instruments (meter <see cref="TrajectoryConsumerOptions.MeterName"/>): gauges <c>agentops_queue_length</c>,
/// <c>agentops_queue_lag</c>, <c>agentops_queue_pending</c>; counters <c>agentops_queue_delivered_total</c>,
/// <c>agentops_queue_reclaimed_total</c>, <c>agentops_queue_unavailable_total</c>,
/// <c>agentops_queue_dead_letters_total</c> (corrupt entries the queue moved to its dead-letter stream; each is
/// logged with its entry id and reason, and the loop keeps consuming); histogram
/// <c>agentops_queue_handoff_duration_seconds</c> (how long the trainer took to take a batch: its backpressure).
/// </summary>
public sealed class TrajectoryConsumer : IAsyncDisposable
{
    private readonly ITrajectoryQueue _queue;
    private readonly Func<IReadOnlyList<QueueEntry>, CancellationToken, ValueTask> _handoff;
    private readonly TrajectoryConsumerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Meter _meter;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _reclaimed;
    private readonly Counter<long> _unavailable;
    private readonly Counter<long> _deadLetters;
    private readonly Histogram<double> _handoffSeconds;
    private QueueStats? _stats;
    private long _deliveredCount;
    private long _reclaimedCount;
    private long _deadLetterCount;

    /// <param name="handoff">Takes a batch into the trainer's buffer; the batch is acknowledged once it returns.</param>
    public TrajectoryConsumer(ITrajectoryQueue queue, Func<IReadOnlyList<QueueEntry>, CancellationToken, ValueTask> handoff,
        TrajectoryConsumerOptions? options = null, ILogger<TrajectoryConsumer>? logger = null)
    {
        _queue = queue ?? throw new ArgumentNullException(nameof(queue));
        _handoff = handoff ?? throw new ArgumentNullException(nameof(handoff));
        _options = options ?? new TrajectoryConsumerOptions();
        if (_options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), $"TrajectoryConsumerOptions.BatchSize must be at least 1, got {_options.BatchSize}");
        if (_options.ClaimIdle <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), $"TrajectoryConsumerOptions.ClaimIdle must be positive, got {_options.ClaimIdle}");
        _time = _options.TimeProvider;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _meter = new Meter(_options.MeterName);
        _delivered = _meter.CreateCounter<long>("agentops.queue.delivered", description: "Trajectories handed to the trainer and acknowledged (reclaimed ones included).");
        _reclaimed = _meter.CreateCounter<long>("agentops.queue.reclaimed", description: "Entries claimed from a dead consumer after ClaimIdle.");
        _unavailable = _meter.CreateCounter<long>("agentops.queue.unavailable", description: "Queue operations that failed because the store was unreachable.");
        _deadLetters = _meter.CreateCounter<long>("agentops.queue.dead_letters", description: "Corrupt entries (not a Trajectory) moved to the run's dead-letter stream and acknowledged.");
        _handoffSeconds = _meter.CreateHistogram<double>("agentops.queue.handoff.duration", "s", "Time the trainer took to take one batch.");
        _meter.CreateObservableGauge("agentops.queue.length", () => Gauge(s => s.Length), description: "Entries in the run's stream.");
        _meter.CreateObservableGauge("agentops.queue.lag", () => Gauge(s => s.Lag), description: "Entries not yet delivered to the consumer group.");
        _meter.CreateObservableGauge("agentops.queue.pending", () => Gauge(s => s.Pending), description: "Entries delivered but not yet acknowledged.");
        _queue.DeadLettered += OnDeadLettered;
    }

    /// <summary>Hands each trajectory to <paramref name="writer"/> (waiting while the trainer's buffer is full), then acknowledges.</summary>
    public TrajectoryConsumer(ITrajectoryQueue queue, ChannelWriter<Trajectory> writer, TrajectoryConsumerOptions? options = null, ILogger<TrajectoryConsumer>? logger = null)
        : this(queue, ToHandoff(writer), options, logger)
    {
    }

    /// <summary>Trajectories handed off and acknowledged so far.</summary>
    public long Delivered => Interlocked.Read(ref _deliveredCount);

    /// <summary>Entries claimed from dead consumers so far.</summary>
    public long Reclaimed => Interlocked.Read(ref _reclaimedCount);

    /// <summary>Corrupt entries moved to the dead-letter stream so far.</summary>
    public long DeadLetters => Interlocked.Read(ref _deadLetterCount);

    /// <summary>The queue's stats at the last refresh (null before the first).</summary>
    public QueueStats? LastStats => Volatile.Read(ref _stats);

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled (then returns) or a hand-off throws.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var nextClaim = _time.GetTimestamp();
        var nextStats = nextClaim;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (_time.GetTimestamp() >= nextStats)
                {
                    Volatile.Write(ref _stats, await _queue.GetStatsAsync(cancellationToken).ConfigureAwait(false));
                    nextStats = Later(_options.StatsInterval);
                }
                if (_time.GetTimestamp() >= nextClaim)
                {
                    var claimed = await _queue.ClaimAbandonedAsync(_options.ConsumerName, _options.ClaimIdle, _options.BatchSize, cancellationToken).ConfigureAwait(false);
                    if (claimed.Count > 0)
                    {
                        TrajectoryConsumerLog.Reclaimed(_logger, _options.ConsumerName, claimed.Count, _options.ClaimIdle.TotalSeconds);
                        _reclaimed.Add(claimed.Count);
                        Interlocked.Add(ref _reclaimedCount, claimed.Count);
                        await HandOffAndAckAsync(claimed, cancellationToken).ConfigureAwait(false);
                    }
                    // A full batch means more may be waiting: claim again before reading new entries.
                    if (claimed.Count < _options.BatchSize) nextClaim = Later(_options.ClaimInterval);
                    continue;
                }
                var batch = await _queue.ReadAsync(_options.ConsumerName, _options.BatchSize, _options.ReadWait, cancellationToken).ConfigureAwait(false);
                if (batch.Count > 0) await HandOffAndAckAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (QueueUnavailableException e)
            {
                _unavailable.Add(1);
                TrajectoryConsumerLog.Unavailable(_logger, e, _options.ConsumerName, _options.RetryDelay.TotalSeconds);
                try
                {
                    await Task.Delay(_options.RetryDelay, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _queue.DeadLettered -= OnDeadLettered;
        _meter.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task HandOffAndAckAsync(IReadOnlyList<QueueEntry> batch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await _handoff(batch, cancellationToken).ConfigureAwait(false);
        _handoffSeconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        // Not cancellable: the trainer has the batch now, so the ack must go out even while shutting down.
        await _queue.AcknowledgeAsync(batch, CancellationToken.None).ConfigureAwait(false);
        _delivered.Add(batch.Count);
        Interlocked.Add(ref _deliveredCount, batch.Count);
    }

    private void OnDeadLettered(DeadLetter letter)
    {
        _deadLetters.Add(1);
        Interlocked.Increment(ref _deadLetterCount);
        TrajectoryConsumerLog.DeadLettered(_logger, _options.ConsumerName, letter.EntryId, letter.TrajectoryId ?? "", letter.PayloadBytes, letter.Reason);
    }

    private long Later(TimeSpan interval) => _time.GetTimestamp() + (long)(interval.TotalSeconds * _time.TimestampFrequency);

    private IEnumerable<Measurement<long>> Gauge(Func<QueueStats, long> pick)
    {
        var s = Volatile.Read(ref _stats);
        return s is null ? [] : [new Measurement<long>(pick(s))];
    }

    private static Func<IReadOnlyList<QueueEntry>, CancellationToken, ValueTask> ToHandoff(ChannelWriter<Trajectory> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        return async (batch, ct) =>
        {
            foreach (var e in batch) await writer.WriteAsync(e.Trajectory, ct).ConfigureAwait(false);
        };
    }
}
