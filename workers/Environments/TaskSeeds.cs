namespace AgentOps.Workers.Environments;

/// <summary>
/// Task i of a seeded stream gets its own <see cref="Random"/>, so task i is the same whatever order or
/// concurrency the executor runs episodes in (splitmix64 mixing of seed and index).
/// </summary>
public static class TaskSeeds
{
    public static Random For(long seed, long index) => new(unchecked((int)Mix(seed, index)));

    public static string TaskId(string environment, long seed, long index) => $"{environment}-{seed}-{index}";

    public static ulong Mix(long seed, long index)
    {
        var z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)index + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
