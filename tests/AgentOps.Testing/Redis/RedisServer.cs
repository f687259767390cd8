using System.Net.Sockets;
using System.Text;

namespace AgentOps.Testing.Redis;

/// <summary>
/// A real redis-server (Debian's 7.0) on a free loopback port with its own temp folder. Optional AOF
/// (<c>appendonly yes</c>, <c>appendfsync always</c>) so a crash loses no acknowledged write. <see cref="Kill"/>
/// is a SIGKILL (a crash), <see cref="RestartAsync"/> starts it again on the same port and folder.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly bool _appendOnly;
    private ExternalProcess? _process;

    private RedisServer(TempDirectory dir, int port, bool appendOnly)
    {
        _dir = dir;
        Port = port;
        _appendOnly = appendOnly;
    }

    public int Port { get; }

    /// <summary>"127.0.0.1:PORT".</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>A StackExchange.Redis configuration string that keeps reconnecting while the server is down.</summary>
    public string ConnectionString => $"{Endpoint},abortConnect=false,connectTimeout=2000,syncTimeout=5000,connectRetry=1";

    public string DataDirectory => _dir.Path;

    public bool IsRunning => _process is { HasExited: false };

    public static async Task<RedisServer> StartAsync(bool appendOnly = false)
    {
        var server = new RedisServer(new TempDirectory("agentops-redis"), LoopbackPort.Next(), appendOnly);
        try
        {
            await server.StartProcessAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>SIGKILL: a crash. With AOF and appendfsync always every acknowledged write is on disk.</summary>
    public void Kill()
    {
        _process?.Dispose();
        _process = null;
    }

    /// <summary>SIGSTOP: the server hangs with its sockets open (an overloaded or frozen node), until <see cref="Resume"/>.</summary>
    public void Pause() => Signal("-STOP");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal("-CONT");

    /// <summary>Starts the server again on the same port and folder (kills it first if it still runs).</summary>
    public async Task RestartAsync()
    {
        Kill();
        await StartProcessAsync();
    }

    /// <summary>Sends one command in RESP and returns the raw reply (for tests that look under the queue).</summary>
    public async Task<string> CommandAsync(params string[] args)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port);
        var stream = client.GetStream();
        var sb = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (var a in args) sb.Append('$').Append(Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()));
        var buffer = new byte[65536];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var n = await stream.ReadAsync(buffer, cts.Token);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    /// <summary>The server's own CPU so far (INFO cpu: used_cpu_user + used_cpu_sys), in seconds.</summary>
    public async Task<double> CpuSecondsAsync()
    {
        var info = await CommandAsync("INFO", "cpu");
        double Field(string name)
        {
            var line = info.Split("\r\n").FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"INFO cpu has no {name}: '{info}'");
            return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return Field("used_cpu_user") + Field("used_cpu_sys");
    }

    /// <summary>Calls per command so far (INFO commandstats), keyed by lower-case command name ("evalsha", "xreadgroup").</summary>
    public async Task<Dictionary<string, long>> CommandCallsAsync()
    {
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in (await CommandAsync("INFO", "commandstats")).Split("\r\n"))
        {
            // cmdstat_xadd:calls=12,usec=345,usec_per_call=28.75,...
            if (!line.StartsWith("cmdstat_", StringComparison.Ordinal)) continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = line[(colon + 1)..].Split(',').First(f => f.StartsWith("calls=", StringComparison.Ordinal));
            calls[line[8..colon]] = long.Parse(field[6..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return calls;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Signal(string signal)
    {
        var pid = _process?.Id ?? throw new InvalidOperationException($"redis-server on {Endpoint} is not running");
        using var kill = System.Diagnostics.Process.Start("kill", [signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(10_000);
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill {signal} {pid} exited {kill.ExitCode}");
    }

    private async Task StartProcessAsync()
    {
        string[] args =
        [
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--dir", _dir.Path,
            "--save", "",
            "--appendonly", _appendOnly ? "yes" : "no",
            "--appendfsync", "always",
            "--daemonize", "no",
            "--protected-mode", "no",
            "--loglevel", "warning",
        ];
        _process = ExternalProcess.Start("redis-server", args, _dir.Path);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"redis-server on {Endpoint} exited during start-up: {_process.OutputTail}");
            try
            {
                if ((await CommandAsync("PING")).StartsWith("+PONG", StringComparison.Ordinal)) return; // -LOADING while the AOF replays
            }
            catch (SocketException)
            {
                // not listening yet
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"redis-server on {Endpoint} did not answer PING within 30 s: {_process.OutputTail}");
            await Task.Delay(50);
        }
    }
}
