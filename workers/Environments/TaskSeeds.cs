namespace AgentOps.Workers.Environments;

/// <summary>
/// Task i of a seeded stream gets its own <see cref="Random"/>, so task i is the same whatever order or
/// concurrency the executor runs episodes in (splitmix64 mixing of seed and index). Each split has its own
/// seed space (<see cref="ForSplit"/>): the held-out stream never replays a training stream even when
/// spec.environment.seed equals spec.environment.eval.seed.
/// </summary>
public static class TaskSeeds
{
    public static Random For(long seed, long index) => new(unchecked((int)Mix(seed, index)));

    /// <summary>Task <paramref name="index"/> of <paramref name="split"/>'s stream of <paramref name="seed"/>.</summary>
    public static Random ForSplit(long seed, string split, long index) =>
        For(unchecked((long)Mix(seed, SplitSalt(split))), index);

    public static string TaskId(string environment, long seed, long index) => $"{environment}-{seed}-{index}";

    public static ulong Mix(long seed, long index)
    {
        var z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)index + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    private static long SplitSalt(string split) => split switch
    {
        "sft" => 0x5F7,
        "train" => 0x7A1,
        "eval" => 0xE7A,
        _ => throw new ArgumentException($"split: must be sft, train or eval, got '{split}'"),
    };
}
