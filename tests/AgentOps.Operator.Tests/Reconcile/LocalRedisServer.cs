using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AgentOps.Operator.Tests.Reconcile;

/// <summary>A real redis-server on a free loopback port, killed at dispose (until team "queue"'s fixture lands).</summary>
public sealed class LocalRedisServer : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    public int Port { get; }
    public string Url => $"redis://127.0.0.1:{Port}";

    private LocalRedisServer(Process process, int port, string dir) { _process = process; Port = port; _dir = dir; }

    public static async Task<LocalRedisServer> StartAsync()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var dir = Directory.CreateTempSubdirectory("agentops-redis-").FullName;
        var psi = new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir },
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start redis-server");
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                return new LocalRedisServer(process, port, dir);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited) { await Task.Delay(50); }
        }
    }

    public string Cli(params string[] args)
    {
        var psi = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true };
        psi.ArgumentList.Add("-p");
        psi.ArgumentList.Add(Port.ToString());
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return output;
    }

    public void Dispose()
    {
        try { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
