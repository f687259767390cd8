using System.Text;

namespace AgentOps.Workers.Environments;

/// <summary>
/// The line between training and held-out material, drawn by content: a task (its question) or an entity name
/// is held out exactly when a hash of its text falls in one of <see cref="Buckets"/> buckets. Training and
/// demonstration generators ("train", "sft") draw only from the other buckets and the held-out generator ("eval")
/// only from this one, so the two sides are disjoint by construction, whatever seeds, settings or executors
/// produced them (the same idea as hash-based test splits that stay stable as a data set grows).
/// </summary>
public static class HeldOutPartition
{
    /// <summary>One text in this many is held out.</summary>
    public const int Buckets = 8;

    /// <summary>Draws a generator may spend looking for a text on its side before it gives up.</summary>
    public const int MaxDraws = 10_000;

    public static bool IsHeldOut(string text) => Hash(text) % Buckets == 0;

    /// <summary>True when <paramref name="text"/> lies on <paramref name="split"/>'s side of the line.</summary>
    public static bool Allows(string split, string text) => IsHeldOut(text) == IsEval(split);

    /// <summary>"eval" is the held-out side; "sft" and "train" the training side; anything else is an error.</summary>
    public static bool IsEval(string split) => split switch
    {
        "eval" => true,
        "sft" or "train" => false,
        _ => throw new ArgumentException($"split: must be sft, train or eval, got '{split}'"),
    };

    /// <summary>
    /// Draws from <paramref name="make"/> until the result's text lies on <paramref name="split"/>'s side; after
    /// <see cref="MaxDraws"/> draws the space is too small for that side and the error says so.
    /// </summary>
    public static T Draw<T>(Random random, string split, Func<Random, T> make, Func<T, string> text, string what)
    {
        var eval = IsEval(split);
        for (var i = 0; i < MaxDraws; i++)
        {
            var candidate = make(random);
            if (IsHeldOut(text(candidate)) == eval) return candidate;
        }
        throw new ArgumentException($"{what}: no {(eval ? "held-out" : "training")} one in {MaxDraws} draws " +
            $"(held-out material is the 1 in {Buckets} of the space kept out of training): the settings leave too small a space");
    }

    /// <summary>FNV-1a over the UTF-8 bytes, finished with splitmix64 so that neighbouring texts spread over the buckets.</summary>
    public static ulong Hash(string text)
    {
        var h = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text)) h = unchecked((h ^ b) * 1099511628211UL);
        return TaskSeeds.Mix(unchecked((long)h), 0);
    }
}
