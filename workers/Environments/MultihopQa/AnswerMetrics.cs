using System.Text;

namespace AgentOps.Workers.Environments.MultihopQa;

/// <summary>HotpotQA/SQuAD answer metrics: normalise (lower case, no punctuation, no articles), exact match, token F1.</summary>
public static class AnswerMetrics
{
    public static string Normalize(string s)
    {
        var sb = new StringBuilder();
        foreach (var ch in s.ToLowerInvariant()) sb.Append(char.IsPunctuation(ch) ? ' ' : ch);
        return string.Join(' ', sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w is not ("a" or "an" or "the")));
    }

    public static bool ExactMatch(string prediction, string truth) => Normalize(prediction) == Normalize(truth);

    public static double F1(string prediction, string truth)
    {
        var p = Normalize(prediction).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var t = Normalize(truth).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (p.Length == 0 || t.Length == 0) return p.Length == t.Length ? 1 : 0;
        var counts = t.GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count());
        var common = 0;
        foreach (var w in p)
        {
            if (counts.TryGetValue(w, out var c) && c > 0) { common++; counts[w] = c - 1; }
        }
        if (common == 0) return 0;
        double precision = (double)common / p.Length, recall = (double)common / t.Length;
        return 2 * precision * recall / (precision + recall);
    }
}
