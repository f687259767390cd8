using System.Globalization;

namespace AgentOps.Workers.Environments;

/// <summary>
/// Reads <c>spec.environment.settings</c> for one environment and remembers every key it was asked for, so that
/// a key nobody asked for is an error naming its path instead of a knob silently ignored
/// (<see cref="RejectUnread"/>). Every value error names the path and the value seen.
/// </summary>
public sealed class EnvironmentSettings(string environment, IReadOnlyDictionary<string, string>? values)
{
    private readonly IReadOnlyDictionary<string, string> _values = values ?? new Dictionary<string, string>();
    private readonly List<string> _asked = [];

    /// <summary>The keys the environment reads, in the order it asked for them.</summary>
    public IReadOnlyList<string> Asked => _asked;

    /// <summary>Settings given but never asked for.</summary>
    public IReadOnlyList<string> Unread => _values.Keys.Where(k => !_asked.Contains(k)).Order(StringComparer.Ordinal).ToList();

    public static string PathOf(string key) => $"spec.environment.settings.{key}";

    /// <summary>Reads every setting of <paramref name="options"/> with <paramref name="read"/> and rejects the ones it did not ask for.</summary>
    public static T Parse<T>(EnvironmentOptions options, Func<EnvironmentSettings, T> read)
    {
        var settings = new EnvironmentSettings(options.Name, options.Settings);
        var value = read(settings);
        settings.RejectUnread();
        return value;
    }

    public int Int(string key, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (Raw(key) is not { } raw) return fallback;
        if (!int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
            throw new ArgumentException($"{PathOf(key)}: must be an integer, got '{raw}'");
        if (v < min) throw new ArgumentException($"{PathOf(key)}: must be at least {min}, got {v}");
        if (v > max) throw new ArgumentException($"{PathOf(key)}: must be at most {max}, got {v}");
        return v;
    }

    public double Number(string key, double fallback, double min, double max)
    {
        if (Raw(key) is not { } raw) return fallback;
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw new ArgumentException($"{PathOf(key)}: must be a number, got '{raw}'");
        if (v < min || v > max)
            throw new ArgumentException($"{PathOf(key)}: must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}, got {raw}");
        return v;
    }

    public string Choice(string key, string fallback, params string[] allowed)
    {
        if (Raw(key) is not { } raw) return fallback;
        return allowed.Contains(raw, StringComparer.Ordinal)
            ? raw
            : throw new ArgumentException($"{PathOf(key)}: must be one of {string.Join(", ", allowed)}, got '{raw}'");
    }

    public string Text(string key, string fallback) => Raw(key) ?? fallback;

    public void RejectUnread()
    {
        if (Unread.Count == 0) return;
        var known = _asked.Count == 0 ? "it has none" : $"its settings: {string.Join(", ", _asked)}";
        throw new ArgumentException(string.Join("; ", Unread.Select(k => $"{PathOf(k)}: not a setting of environment {environment} ({known})")));
    }

    /// <summary>The settings as given, for messages: "minOps=1, maxOps=1", or "defaults".</summary>
    public static string Describe(IReadOnlyDictionary<string, string>? values) =>
        values is null || values.Count == 0 ? "defaults" : string.Join(", ", values.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    private string? Raw(string key)
    {
        if (!_asked.Contains(key)) _asked.Add(key);
        return _values.TryGetValue(key, out var raw) ? raw : null;
    }
}
