namespace AgentOps.Workers.Environments;

/// <summary>
/// Pronounceable made-up names from syllables, unique within one generated world. Every word lies on one side of
/// <see cref="HeldOutPartition"/>: a world for held-out tasks is made only of held-out words and a training world
/// only of the others, so no person, city, company or product of a held-out world is ever seen in training.
/// </summary>
internal sealed class Names(Random random, bool heldOut)
{
    private static readonly string[] Onsets = ["b", "d", "k", "l", "m", "n", "r", "s", "t", "v", "z", "br", "kr", "st", "th"];
    private static readonly string[] Vowels = ["a", "e", "i", "o", "u", "ai", "ea"];
    private static readonly string[] Codas = ["", "n", "r", "l", "s", "th", "m"];
    private readonly HashSet<string> _seen = [];

    public string Word(int syllables)
    {
        for (var i = 0; i < HeldOutPartition.MaxDraws; i++)
        {
            var s = string.Concat(Enumerable.Range(0, syllables).Select(_ =>
                Onsets[random.Next(Onsets.Length)] + Vowels[random.Next(Vowels.Length)] + Codas[random.Next(Codas.Length)]));
            var w = char.ToUpperInvariant(s[0]) + s[1..];
            if (HeldOutPartition.IsHeldOut(w) == heldOut && _seen.Add(w)) return w;
        }
        throw new InvalidOperationException($"no new {syllables}-syllable name in {HeldOutPartition.MaxDraws} draws");
    }

    /// <summary>A first name of one syllable and a family name of two (at most 19 characters, so tool calls fit one action).</summary>
    public string Person() => $"{Word(1)} {Word(2)}";
}
