namespace AgentOps.Workers.Environments;

/// <summary>Pronounceable made-up names from syllables, unique within one generated world.</summary>
internal sealed class Names(Random random)
{
    private static readonly string[] Onsets = ["b", "d", "k", "l", "m", "n", "r", "s", "t", "v", "z", "br", "kr", "st", "th"];
    private static readonly string[] Vowels = ["a", "e", "i", "o", "u", "ai", "ea"];
    private static readonly string[] Codas = ["", "n", "r", "l", "s", "th", "m"];
    private readonly HashSet<string> _seen = [];

    public string Word(int syllables)
    {
        while (true)
        {
            var s = string.Concat(Enumerable.Range(0, syllables).Select(_ =>
                Onsets[random.Next(Onsets.Length)] + Vowels[random.Next(Vowels.Length)] + Codas[random.Next(Codas.Length)]));
            var w = char.ToUpperInvariant(s[0]) + s[1..];
            if (_seen.Add(w)) return w;
        }
    }

    public string Person() => $"{Word(2)} {Word(2)}";
}
