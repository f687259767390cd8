using AgentOps.Protos.V1;
using AgentOps.Trainer.Algorithms;

namespace AgentOps.Trainer.Rollout;

/// <summary>What the update buffer needs to know; defaults match the manifest's.</summary>
public sealed record UpdateBufferOptions(
    int GroupSize = 8,
    int MaxStaleness = 1,
    int MaxTokens = 512,
    bool GroupFilter = true,
    int MaxFilteredBatches = 3);

/// <summary>Cumulative counts of what came in and what was left out, and why (nothing is dropped silently).</summary>
public sealed record RolloutCounters(
    long Ingested,
    long DroppedStale,
    long DroppedInfra,
    long DroppedInvalid,
    long DroppedGroups,
    long DroppedGroupTrajectories,
    long DroppedSplit,
    long ForcedTakes = 0,
    long DroppedDuplicates = 0,
    long SampledTrajectories = 0,
    long SampledSuccesses = 0)
{
    public static RolloutCounters Zero { get; } = new(0, 0, 0, 0, 0, 0, 0);

    public RolloutCounters Minus(RolloutCounters o) => new(Ingested - o.Ingested, DroppedStale - o.DroppedStale,
        DroppedInfra - o.DroppedInfra, DroppedInvalid - o.DroppedInvalid, DroppedGroups - o.DroppedGroups,
        DroppedGroupTrajectories - o.DroppedGroupTrajectories, DroppedSplit - o.DroppedSplit, ForcedTakes - o.ForcedTakes,
        DroppedDuplicates - o.DroppedDuplicates, SampledTrajectories - o.SampledTrajectories, SampledSuccesses - o.SampledSuccesses);
}

/// <summary>
/// The trainer's update buffer between the queue consumer (which acknowledges entries once <see cref="Add"/>
/// returned) and the training loop: SFT demonstrations in arrival order, and complete RL groups.
/// Staleness and the DAPO group filter are applied when groups are taken, against the version current then,
/// so the loop keeps consuming until it has enough informative groups (DAPO: regenerate on filter).
/// With a <see cref="DemonstrationSet"/>, demonstrations fill the set instead (surplus ones past its capacity are
/// counted as split drops).
/// </summary>
public sealed class UpdateBuffer(UpdateBufferOptions options, DemonstrationSet? demonstrationSet = null)
{
    private readonly object _gate = new();
    private readonly Queue<PackedTrajectory> _demonstrations = new();
    private readonly Queue<RolloutGroup> _groups = new();
    private readonly GroupAssembler _assembler = new(options.GroupSize);
    private readonly SemaphoreSlim _changed = new(0);
    private RolloutCounters _counters = RolloutCounters.Zero;
    private readonly Queue<RolloutGroup> _lastFiltered = new();
    private readonly Queue<RolloutGroup> _pending = new(); // usable groups already seen by TryTakeGroups, waiting for enough

    private long _filteredInARow;
    // Every trajectory id taken in so far: a queue delivers at least once (a reclaimed entry, a retried append that
    // raced its own first try), and the buffer makes it exactly once into training. ~50 bytes per id.
    private readonly HashSet<string> _seen = [];

    public UpdateBufferOptions Options { get; } = options;

    /// <summary>The SFT data set demonstrations go to, when the run collects one (spec.policy.sft.demonstrations).</summary>
    public DemonstrationSet? DemonstrationSet { get; } = demonstrationSet;

    /// <summary>The last trajectory that failed validation, with the reason (for logs).</summary>
    public string? LastInvalid { get; private set; }

    public RolloutCounters Counters
    {
        get { lock (_gate) return _counters; }
    }

    public int DemonstrationCount
    {
        get { lock (_gate) return _demonstrations.Count; }
    }

    public int ReadyGroupCount
    {
        get { lock (_gate) return _groups.Count + _pending.Count; }
    }

    /// <summary>Adds one trajectory from the queue. Never throws on bad data: it is counted instead.</summary>
    public void Add(Trajectory trajectory)
    {
        PackedTrajectory? packed = null;
        string? invalid = null;
        try
        {
            packed = TrajectoryPacker.Pack(trajectory, Options.MaxTokens);
        }
        catch (InvalidTrajectoryException e)
        {
            invalid = e.Message;
        }
        lock (_gate)
        {
            _counters = _counters with { Ingested = _counters.Ingested + 1 };
            if (trajectory.TrajectoryId.Length > 0 && !_seen.Add(trajectory.TrajectoryId))
                _counters = _counters with { DroppedDuplicates = _counters.DroppedDuplicates + 1 };
            else if (packed is null)
            {
                LastInvalid = invalid;
                _counters = _counters with { DroppedInvalid = _counters.DroppedInvalid + 1 };
            }
            else if (trajectory.Split == "sft")
            {
                if (trajectory.Outcome?.Status.IsInfrastructureFailure() == true)
                    _counters = _counters with { DroppedInfra = _counters.DroppedInfra + 1 };
                else if (packed.TrainedTokens == 0)
                {
                    LastInvalid = $"trajectory {trajectory.TrajectoryId}: segments: a demonstration needs at least one loss_mask=1 token, got 0";
                    _counters = _counters with { DroppedInvalid = _counters.DroppedInvalid + 1 };
                }
                else if (DemonstrationSet is null) _demonstrations.Enqueue(packed);
                else if (!DemonstrationSet.TryAdd(trajectory, packed))
                    _counters = _counters with { DroppedSplit = _counters.DroppedSplit + 1 };
            }
            else if (trajectory.Split == "train")
            {
                var infra = trajectory.Outcome?.Status.IsInfrastructureFailure() == true;
                if (infra) _counters = _counters with { DroppedInfra = _counters.DroppedInfra + 1 };
                var group = _assembler.Add(packed, infra);
                if (group is not null) _groups.Enqueue(group);
            }
            else
            {
                _counters = _counters with { DroppedSplit = _counters.DroppedSplit + 1 };
            }
        }
        _changed.Release();
    }

    /// <summary>Takes up to <paramref name="max"/> demonstrations (at least one, else empty).</summary>
    public List<PackedTrajectory> TakeDemonstrations(int max)
    {
        lock (_gate)
        {
            var list = new List<PackedTrajectory>(Math.Min(max, _demonstrations.Count));
            while (list.Count < max && _demonstrations.TryDequeue(out var d)) list.Add(d);
            return list;
        }
    }

    /// <summary>Drops every demonstration still buffered (the SFT phase is over); counted as split drops.</summary>
    public int DiscardDemonstrations()
    {
        lock (_gate)
        {
            var n = _demonstrations.Count;
            _demonstrations.Clear();
            _counters = _counters with { DroppedSplit = _counters.DroppedSplit + n };
            return n;
        }
    }

    /// <summary>
    /// Takes <paramref name="count"/> usable groups if that many are ready, after dropping stale members and
    /// (with the group filter) groups whose rewards are all equal; returns null when not enough yet.
    /// DAPO regenerates a bounded number of batches: once MaxFilteredBatches × count groups in a row were
    /// filtered, it returns what it has, topped up with the latest filtered groups (all-equal rewards, zero
    /// GRPO advantage), so a policy whose groups all score 0 still advances; counted in ForcedTakes.
    /// </summary>
    public List<RolloutGroup>? TryTakeGroups(int count, long currentVersion)
    {
        lock (_gate)
        {
            var staleEvicted = _assembler.EvictStale(currentVersion, Options.MaxStaleness);
            _counters = _counters with { DroppedStale = _counters.DroppedStale + staleEvicted };
            var kept = new List<RolloutGroup>();
            var remaining = new Queue<RolloutGroup>();
            var candidates = new List<(RolloutGroup Group, bool Seen)>(_pending.Count + _groups.Count);
            while (_pending.TryDequeue(out var p)) candidates.Add((p, true));
            while (_groups.TryDequeue(out var n)) candidates.Add((n, false));
            foreach (var (g, seen) in candidates)
            {
                var (fresh, stale) = StalenessFilter.Apply(g, currentVersion, Options.MaxStaleness);
                _counters = _counters with { DroppedStale = _counters.DroppedStale + stale };
                if (!seen)
                {
                    // What the policy scores on the episodes it sampled, before the group filter keeps only the
                    // mixed groups (whose success rate is biased towards one half).
                    _counters = _counters with
                    {
                        SampledTrajectories = _counters.SampledTrajectories + fresh.Members.Count,
                        SampledSuccesses = _counters.SampledSuccesses + fresh.Members.Count(m => m.Reward >= 1.0),
                    };
                }
                var usable = Options.GroupFilter ? GroupFilter.IsInformative(fresh) : fresh.Members.Count > 0;
                if (!usable)
                {
                    if (fresh.Members.Count > 0)
                    {
                        _filteredInARow++;
                        _lastFiltered.Enqueue(fresh);
                        while (_lastFiltered.Count > count) _lastFiltered.Dequeue();
                    }
                    _counters = _counters with
                    {
                        DroppedGroups = _counters.DroppedGroups + 1,
                        DroppedGroupTrajectories = _counters.DroppedGroupTrajectories + fresh.Members.Count,
                    };
                    continue;
                }
                if (!seen)
                {
                    // A new informative group ends the run of filtered ones.
                    _filteredInARow = 0;
                    _lastFiltered.Clear();
                }
                if (kept.Count < count) kept.Add(fresh);
                else remaining.Enqueue(fresh);
            }
            if (kept.Count < count && Options.GroupFilter && Options.MaxFilteredBatches > 0
                && _filteredInARow >= (long)Options.MaxFilteredBatches * count && _lastFiltered.Count > 0)
            {
                // The newest filtered groups (the freshest samples), in arrival order.
                foreach (var filler in _lastFiltered.Skip(Math.Max(0, _lastFiltered.Count - (count - kept.Count))).ToList())
                {
                    kept.Add(filler);
                    // Trained on after all (with zero advantage): no longer counted as dropped.
                    _counters = _counters with
                    {
                        DroppedGroups = _counters.DroppedGroups - 1,
                        DroppedGroupTrajectories = _counters.DroppedGroupTrajectories - filler.Members.Count,
                    };
                }
                _counters = _counters with { ForcedTakes = _counters.ForcedTakes + 1 };
                _filteredInARow = 0;
                _lastFiltered.Clear();
                foreach (var g in remaining) _pending.Enqueue(g);
                return kept;
            }
            if (kept.Count < count)
            {
                // Not enough yet: keep them (already filtered) for the next attempt.
                foreach (var g in kept) _pending.Enqueue(g);
                foreach (var g in remaining) _pending.Enqueue(g);
                return null;
            }
            foreach (var g in remaining) _pending.Enqueue(g);
            return kept;
        }
    }

    /// <summary>Waits until something was added or the timeout passed.</summary>
    public Task<bool> WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _changed.WaitAsync(timeout, cancellationToken);
}
