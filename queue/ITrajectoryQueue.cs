using AgentOps.Protos.V1;

namespace AgentOps.Queue;

/// <summary>
/// The run's trajectory queue (DESIGN.md, "Queue semantics"): at-least-once delivery through one consumer
/// group, idempotent appends by trajectory id, reclaim of entries left pending by a dead consumer.
/// Two implementations pass one contract suite: Redis Streams, and an in-process queue (the embedded default
/// of `agentops run`).
/// </summary>
public interface ITrajectoryQueue : IAsyncDisposable
{
    /// <summary>Appends unless a trajectory with the same id was stored before. Returns only once stored.</summary>
    Task<AppendOutcome> AppendAsync(Trajectory trajectory, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="AppendAsync"/> for many trajectories in as few round trips as the store allows; returns only once
    /// every one is stored, with one outcome per trajectory in order (a repeated id within the batch is a Duplicate).
    /// On failure some may be stored: retrying the whole batch is safe (idempotent by id).
    /// </summary>
    Task<IReadOnlyList<AppendOutcome>> AppendBatchAsync(IReadOnlyList<Trajectory> trajectories, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="AppendBatchAsync"/> for trajectories that arrived serialized: a queue that stores bytes stores each
    /// <see cref="SerializedTrajectory.Bytes"/> as it is (no second serialization); the others append the messages.
    /// </summary>
    Task<IReadOnlyList<AppendOutcome>> AppendSerializedAsync(IReadOnlyList<SerializedTrajectory> trajectories, CancellationToken cancellationToken = default) =>
        AppendBatchAsync(trajectories.Select(t => t.Message).ToList(), cancellationToken);

    /// <summary>
    /// Reads up to <paramref name="maxCount"/> new entries for <paramref name="consumer"/>, waiting up to
    /// <paramref name="wait"/> when none is there. Entries stay pending until acknowledged.
    /// </summary>
    Task<IReadOnlyList<QueueEntry>> ReadAsync(string consumer, int maxCount, TimeSpan wait, CancellationToken cancellationToken = default);

    /// <summary>Acknowledges entries: call only once they are safely in the trainer's buffer.</summary>
    Task AcknowledgeAsync(IReadOnlyCollection<QueueEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Takes over entries pending longer than <paramref name="minIdle"/> on any consumer (XAUTOCLAIM).</summary>
    Task<IReadOnlyList<QueueEntry>> ClaimAbandonedAsync(string consumer, TimeSpan minIdle, int maxCount, CancellationToken cancellationToken = default);

    Task<QueueStats> GetStatsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Raised once for each entry a read or claim found corrupt (bytes that are not a Trajectory) and moved to the
    /// run's dead-letter stream, acknowledged, so it is never delivered again and never stops the consumer.
    /// </summary>
    event Action<DeadLetter>? DeadLettered;
}

public enum AppendOutcome
{
    Appended,
    /// <summary>The id was stored before (a retry): acknowledged, not written twice.</summary>
    Duplicate,
}

/// <param name="EntryId">The queue's own id of the entry (a Redis stream id such as "1700000000000-0").</param>
/// <param name="DeliveryCount">How many times the entry has been delivered (1 on first read).</param>
public sealed record QueueEntry(string EntryId, Trajectory Trajectory, long DeliveryCount);

/// <param name="EntryId">The stream id the corrupt entry had.</param>
/// <param name="TrajectoryId">Its "id" field, when it had one.</param>
/// <param name="Reason">Why it is not a Trajectory, naming the field and size seen.</param>
/// <param name="PayloadBytes">Size of its "p" field (0 when missing).</param>
public sealed record DeadLetter(string EntryId, string? TrajectoryId, string Reason, int PayloadBytes);

/// <param name="Length">Entries in the stream.</param>
/// <param name="Pending">Delivered to a consumer but not acknowledged.</param>
/// <param name="Lag">Entries not yet delivered to the consumer group (the unconsumed backlog).</param>
public sealed record QueueStats(long Length, long Pending, long Lag);
