using System.Globalization;

namespace AgentOps.Gateway;

/// <summary>`agentops-gateway` flags; every knob named, with a default.</summary>
public sealed record GatewayOptions
{
    /// <summary>--redis: "redis://host:port" or a StackExchange.Redis configuration string.</summary>
    public string Redis { get; init; } = "";

    /// <summary>--run: the run's name; the stream is agentops:{run}:trajectories.</summary>
    public string Run { get; init; } = "";

    /// <summary>--token-file: a file holding the run's bearer token (whitespace trimmed).</summary>
    public string TokenFile { get; init; } = "";

    /// <summary>--port: the gRPC (HTTP/2 cleartext) port.</summary>
    public int Port { get; init; } = 7001;

    /// <summary>--metrics-port: the HTTP/1.1 port for /metrics, /healthz, /readyz; 0 picks a free one.</summary>
    public int MetricsPort { get; init; } = 9101;

    /// <summary>--max-backlog: RESOURCE_EXHAUSTED while the unconsumed backlog is over this.</summary>
    public long MaxBacklog { get; init; } = 10_000;

    /// <summary>--max-length: XADD MAXLEN ~ cap of the stream.</summary>
    public int MaxLength { get; init; } = 100_000;

    /// <summary>--max-trajectory-bytes: a bigger trajectory is INVALID_ARGUMENT.</summary>
    public int MaxTrajectoryBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>--environments a,b,c: accepted environment names; empty accepts any.</summary>
    public IReadOnlyList<string> Environments { get; init; } = [];

    /// <summary>--bind: listen address of both ports (0.0.0.0 in a pod).</summary>
    public string Bind { get; init; } = "0.0.0.0";

    public const string Usage = """
        usage: agentops-gateway --redis URL --run NAME --token-file FILE [--port 7001] [--metrics-port 9101]
                        [--max-backlog 10000] [--max-length 100000] [--max-trajectory-bytes 4194304]
                        [--environments arithmetic,countdown] [--bind 0.0.0.0]
        """;

    /// <summary>Parses the flags; an error names the flag and the value seen.</summary>
    public static GatewayOptions Parse(IReadOnlyList<string> args)
    {
        var o = new GatewayOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var flag = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{flag}: missing value");
            int Int(string v) => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"{flag}: expected a non-negative integer, got \"{v}\"");
            o = flag switch
            {
                "--redis" => o with { Redis = Value() },
                "--run" => o with { Run = Value() },
                "--token-file" => o with { TokenFile = Value() },
                "--port" => o with { Port = Int(Value()) },
                "--metrics-port" => o with { MetricsPort = Int(Value()) },
                "--max-backlog" => o with { MaxBacklog = Int(Value()) },
                "--max-length" => o with { MaxLength = Int(Value()) },
                "--max-trajectory-bytes" => o with { MaxTrajectoryBytes = Int(Value()) },
                "--environments" => o with { Environments = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--bind" => o with { Bind = Value() },
                _ => throw new ArgumentException($"unknown flag \"{flag}\""),
            };
        }
        if (o.Redis.Length == 0) throw new ArgumentException("--redis: required (e.g. redis://127.0.0.1:6379)");
        if (o.Run.Length == 0) throw new ArgumentException("--run: required (the TrainingRun's name)");
        if (o.TokenFile.Length == 0) throw new ArgumentException("--token-file: required (a file holding the run's bearer token)");
        if (o.Port is < 1 or > 65535) throw new ArgumentException($"--port: must be between 1 and 65535, got {o.Port}");
        if (o.MetricsPort > 65535) throw new ArgumentException($"--metrics-port: must be at most 65535, got {o.MetricsPort}");
        if (o.MaxTrajectoryBytes < 1024) throw new ArgumentException($"--max-trajectory-bytes: must be at least 1024, got {o.MaxTrajectoryBytes}");
        return o;
    }
}
