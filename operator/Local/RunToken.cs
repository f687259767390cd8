using System.Security.Cryptography;

namespace AgentOps.Operator.Local;

/// <summary>
/// The run's bearer token for TrajectoryIngest: 32 random bytes, hex, in RUN_DIR/token (mode 0600), kept
/// across restarts of the same run so resumed executors and a resumed trainer agree.
/// </summary>
public static class RunToken
{
    public static string LoadOrCreate(string runDir)
    {
        var path = Path.Combine(runDir, "token");
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length > 0) return existing;
        }
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        File.WriteAllText(path, token + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return token;
    }
}
