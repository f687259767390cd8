using System.Text.RegularExpressions;
using AgentOps.Testing;

namespace AgentOps.Gateway.Tests;

/// <summary>
/// The real `agentops-gateway` process (the built agentops-gateway.dll next to the tests), on a fixed
/// loopback port so it can be killed with SIGKILL and started again where clients expect it.
/// </summary>
internal sealed partial class GatewayProcess : IDisposable
{
    private readonly string[] _args;
    private ExternalProcess? _process;

    private GatewayProcess(string[] args, int port)
    {
        _args = args;
        Port = port;
    }

    public int Port { get; }
    public int MetricsPort { get; private set; }
    public string Address => $"http://127.0.0.1:{Port}";
    public string OutputTail => _process?.OutputTail ?? "";

    public static async Task<GatewayProcess> StartAsync(string redisEndpoint, string run, string tokenFile, params string[] extra)
    {
        var port = LoopbackPort.Next();
        string[] args =
        [
            Path.Combine(AppContext.BaseDirectory, "agentops-gateway.dll"),
            "--redis", redisEndpoint, "--run", run, "--token-file", tokenFile,
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--metrics-port", "0", "--bind", "127.0.0.1",
            .. extra,
        ];
        var gateway = new GatewayProcess(args, port);
        await gateway.StartProcessAsync();
        return gateway;
    }

    /// <summary>SIGKILL: a crash in the middle of whatever it was doing.</summary>
    public void Kill()
    {
        _process?.Dispose();
        _process = null;
    }

    public async Task RestartAsync()
    {
        Kill();
        await StartProcessAsync();
    }

    private async Task StartProcessAsync()
    {
        _process = ExternalProcess.Start("dotnet", _args);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var match = ReadyLine().Match(_process.OutputTail);
            if (match.Success)
            {
                MetricsPort = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                return;
            }
            if (_process.HasExited) throw new InvalidOperationException($"gateway exited during start-up: {_process.OutputTail}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"gateway not ready within 90 s: {_process.OutputTail}");
            await Task.Delay(50);
        }
    }

    [GeneratedRegex(@"gateway: ready grpc=\d+ metrics=(\d+)")]
    private static partial Regex ReadyLine();

    public void Dispose() => Kill();
}
