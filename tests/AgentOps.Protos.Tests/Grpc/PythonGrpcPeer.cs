using System.Diagnostics;
using System.Text.Json;
using AgentOps.Testing.Interop;
using Google.Protobuf;

namespace AgentOps.Protos.Tests.Grpc;

/// <summary>
/// tests/interop/peer.py on Debian's python3-grpcio (/usr/bin/python3): a real gRPC server or client for
/// agentops.testing.Interop. Started and killed by the test that uses it.
/// </summary>
internal sealed class PythonGrpcPeer : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string _dir = Directory.CreateTempSubdirectory("agentops-interop-").FullName;
    private Process? _server;

    public PythonGrpcPeer()
    {
        DescriptorPath = Path.Combine(_dir, "interop.desc");
        File.WriteAllBytes(DescriptorPath, InteropReflection.Descriptor.SerializedData.ToByteArray());
    }

    public string DescriptorPath { get; }

    public static string Script
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "interop", "peer.py");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException($"tests/interop/peer.py not found above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>Starts the python server and returns its port.</summary>
    public async Task<int> StartServerAsync()
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Script);
        psi.ArgumentList.Add("server");
        psi.ArgumentList.Add(DescriptorPath);
        _server = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + Python);
        var stderr = _server.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var line = await _server.StandardOutput.ReadLineAsync(cts.Token);
        if (line is null || !line.StartsWith("PORT ", StringComparison.Ordinal))
            throw new InvalidOperationException($"python peer did not start: stdout '{line}', stderr '{await stderr}'");
        return int.Parse(line[5..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs every client case against <paramref name="target"/> ("127.0.0.1:PORT"); one JSON object per case.</summary>
    public async Task<List<JsonElement>> RunClientAsync(string target)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Script);
        psi.ArgumentList.Add("client");
        psi.ArgumentList.Add(DescriptorPath);
        psi.ArgumentList.Add(target);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + Python);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"python client exited {process.ExitCode}: {await stderr}\nstdout: {await stdout}");
        return (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    public void Dispose()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            _server.WaitForExit(10_000);
        }
        _server?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
