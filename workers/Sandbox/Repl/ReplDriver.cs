using System.Security.Cryptography;

namespace AgentOps.Workers.Sandbox.Repl;

/// <summary>The Python driver (python/repl.py, embedded in this assembly) written once to disk so a
/// sandbox can mount or run it. The file name carries the content hash, so versions never mix.</summary>
internal static class ReplDriver
{
    private const string ResourceName = "AgentOps.Workers.Sandbox.repl.py";
    private static readonly Lock Gate = new();

    public static byte[] Source()
    {
        using var s = typeof(ReplDriver).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new SandboxUnavailableException($"embedded resource '{ResourceName}' is missing from {typeof(ReplDriver).Assembly.Location}");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>Returns the path of the driver under <paramref name="stateDir"/>, world-readable.</summary>
    public static string Materialize(string stateDir)
    {
        var bytes = Source();
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
        var dir = Path.Combine(stateDir, "driver", hash);
        var path = Path.Combine(dir, "repl.py");
        lock (Gate)
        {
            if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes)) return path;
            Directory.CreateDirectory(dir);
            var tmp = path + "." + Environment.ProcessId + ".tmp";
            File.WriteAllBytes(tmp, bytes);
            File.Move(tmp, path, overwrite: true);
            Permissions.MakeWorldReadable(stateDir, path);
            return path;
        }
    }
}
