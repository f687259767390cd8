using System.Diagnostics;

namespace AgentOps.Workers.Tests.Environments;

/// <summary>Runs a script with the real /usr/bin/python3 (the sandbox's interpreter) and returns stdout.</summary>
internal static class Python
{
    public static async Task<string> RunAsync(string script, string? pythonPath = null)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", script])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (pythonPath is not null) psi.Environment["PYTHONPATH"] = pythonPath;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(true); throw; }
        Assert.True(p.ExitCode == 0, $"python failed ({p.ExitCode}): {await stderr}");
        return await stdout;
    }
}
