using AgentOps.Protos.V1;

namespace AgentOps.Queue;

/// <summary>Argument checks both queue implementations share, with messages naming the value seen.</summary>
internal static class QueueArguments
{
    public static void CheckTrajectory(Trajectory trajectory)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        if (string.IsNullOrEmpty(trajectory.TrajectoryId))
            throw new ArgumentException("trajectory_id is empty: the queue is idempotent by trajectory id, so every trajectory needs one", nameof(trajectory));
    }

    public static void CheckSerialized(SerializedTrajectory trajectory)
    {
        if (string.IsNullOrEmpty(trajectory.TrajectoryId))
            throw new ArgumentException("trajectory_id is empty: the queue is idempotent by trajectory id, so every trajectory needs one", nameof(trajectory));
    }

    public static void CheckRead(string consumer, int maxCount)
    {
        if (string.IsNullOrEmpty(consumer)) throw new ArgumentException("consumer name is empty", nameof(consumer));
        if (maxCount < 1) throw new ArgumentOutOfRangeException(nameof(maxCount), $"maxCount must be at least 1, got {maxCount}");
    }
}
