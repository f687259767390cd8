using System.Globalization;

namespace AgentOps.Protos.Grpc;

/// <summary>The grpc-timeout header: at most 8 ASCII digits and a unit H M S m u n (PROTOCOL-HTTP2.md "Timeout").</summary>
public static class GrpcTimeout
{
    private const long MaxValue = 99_999_999;

    public static bool TryParse(string? value, out TimeSpan timeout)
    {
        timeout = default;
        if (string.IsNullOrEmpty(value) || value.Length < 2 || value.Length > 9) return false;
        if (!long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return false;
        long? ticks = value[^1] switch
        {
            'H' => n * TimeSpan.TicksPerHour,
            'M' => n * TimeSpan.TicksPerMinute,
            'S' => n * TimeSpan.TicksPerSecond,
            'm' => n * TimeSpan.TicksPerMillisecond,
            'u' => n * 10,
            'n' => n / 100,
            _ => null,
        };
        if (ticks is null) return false;
        timeout = TimeSpan.FromTicks(ticks.Value);
        return true;
    }

    /// <summary>The shortest unit that keeps the value within 8 digits, rounding up so the peer never gets more time than asked.</summary>
    public static string Format(TimeSpan timeout)
    {
        var ticks = Math.Max(0, timeout.Ticks);
        var micros = (ticks + 9) / 10;
        if (micros <= MaxValue) return micros.ToString(CultureInfo.InvariantCulture) + "u";
        var millis = (ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        if (millis <= MaxValue) return millis.ToString(CultureInfo.InvariantCulture) + "m";
        var seconds = (ticks + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond;
        if (seconds <= MaxValue) return seconds.ToString(CultureInfo.InvariantCulture) + "S";
        var minutes = (ticks + TimeSpan.TicksPerMinute - 1) / TimeSpan.TicksPerMinute;
        if (minutes <= MaxValue) return minutes.ToString(CultureInfo.InvariantCulture) + "M";
        return Math.Min(MaxValue, (ticks + TimeSpan.TicksPerHour - 1) / TimeSpan.TicksPerHour).ToString(CultureInfo.InvariantCulture) + "H";
    }
}
