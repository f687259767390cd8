namespace AgentOps.Trainer.Checkpoints;

/// <summary>
/// The non-tensor part of a checkpoint (<c>state.json</c>): where training was, so a resumed trainer continues
/// exactly. <see cref="Extra"/> carries algorithm-specific scalars (e.g. a running reward baseline).
/// </summary>
public sealed record TrainerState
{
    /// <summary>Optimisation steps done (the next step is Step + 1).</summary>
    public long Step { get; init; }
    /// <summary>The policy version served after this checkpoint's last update.</summary>
    public long PolicyVersion { get; init; }
    /// <summary>"sft", "rl" or "done".</summary>
    public string Phase { get; init; } = "sft";
    /// <summary>The steps the SFT phase had once it ended (fewer than the manifest's when a target loss ended it);
    /// null while SFT runs, and in checkpoints written before this field existed.</summary>
    public long? SftSteps { get; init; }
    /// <summary>The run's base seed; per-step randomness is derived from (Seed, Step), so no RNG object is saved.</summary>
    public ulong Seed { get; init; }
    /// <summary>Opaque RNG state an algorithm wants back (e.g. a counter of draws), or null.</summary>
    public string? RngState { get; init; }
    /// <summary>Queue position consumed and acknowledged so far (e.g. the last Redis stream id), or null.</summary>
    public string? ConsumerPosition { get; init; }
    /// <summary>The model preset ("tiny", "small") the weights belong to.</summary>
    public string ModelPreset { get; init; } = "";
    /// <summary>Wall-clock time of the save, Unix seconds.</summary>
    public double SavedAtUnixSeconds { get; init; }
    /// <summary>Algorithm-specific extras.</summary>
    public Dictionary<string, string> Extra { get; init; } = [];
}
