namespace AgentOps.Trainer.Rollout;

/// <summary>
/// Collects trajectories by group_id until a group has all of its <c>groupSize</c> arrivals (infrastructure
/// failures count as arrivals but are left out of the group, open-instruct #1887: a preempted episode scored 0
/// would bias every advantage in its group).
/// </summary>
public sealed class GroupAssembler(int groupSize)
{
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private long _arrivals;

    public int GroupSize { get; } = groupSize > 0 ? groupSize : throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize, "groupSize must be positive");

    /// <summary>Trajectories held in groups that are not complete yet.</summary>
    public int PendingTrajectories => _pending.Values.Sum(p => p.Arrivals);

    public int PendingGroups => _pending.Count;

    /// <summary>Adds one arrival; returns the group once its last member arrived, else null.</summary>
    public RolloutGroup? Add(PackedTrajectory trajectory, bool infrastructureFailure)
    {
        if (!_pending.TryGetValue(trajectory.GroupId, out var p))
        {
            p = new Pending(++_arrivals);
            _pending[trajectory.GroupId] = p;
        }
        p.Arrivals++;
        if (infrastructureFailure) p.Infra++;
        else p.Members.Add(trajectory);
        if (p.Arrivals < GroupSize) return null;
        _pending.Remove(trajectory.GroupId);
        return new RolloutGroup(trajectory.GroupId, p.Members, p.Infra);
    }

    /// <summary>
    /// Drops partial groups in which some usable member is already more than <paramref name="maxStaleness"/>
    /// versions behind: they can never be trained on. Returns how many trajectories were dropped.
    /// </summary>
    public int EvictStale(long currentVersion, int maxStaleness)
    {
        var dropped = 0;
        foreach (var (id, p) in _pending.ToArray())
        {
            if (p.Members.Any(m => StalenessFilter.IsStale(m, currentVersion, maxStaleness)))
            {
                dropped += p.Arrivals;
                _pending.Remove(id);
            }
        }
        return dropped;
    }

    private sealed class Pending(long order)
    {
        public long Order { get; } = order;
        public int Arrivals { get; set; }
        public int Infra { get; set; }
        public List<PackedTrajectory> Members { get; } = [];
    }
}
