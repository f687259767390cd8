namespace AgentOps.Workers.Pipeline;

/// <summary>Exponential backoff with jitter (gRPC connection-backoff.md: initial, multiplier, jitter, max).</summary>
internal sealed class Backoff(PusherOptions options)
{
    private readonly Random _random = new(options.Seed);

    /// <summary>The pause before retry <paramref name="attempt"/> (1 for the first retry); at least <paramref name="atLeast"/>.</summary>
    public TimeSpan Next(int attempt, TimeSpan atLeast)
    {
        var baseMs = Math.Min(options.MaxBackoff.TotalMilliseconds,
            options.InitialBackoff.TotalMilliseconds * Math.Pow(options.BackoffMultiplier, Math.Max(0, attempt - 1)));
        double factor;
        lock (_random) factor = 1 - options.Jitter + 2 * options.Jitter * _random.NextDouble();
        var ms = Math.Max(baseMs * factor, atLeast.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms);
    }
}
