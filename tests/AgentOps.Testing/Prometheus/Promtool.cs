namespace AgentOps.Testing.Prometheus;

/// <summary>Runs Debian's <c>promtool check metrics</c> on exposition text (reads it from stdin).</summary>
public static class Promtool
{
    /// <summary>Exit code and output of <c>promtool check metrics</c> (0 = valid and lint-clean).</summary>
    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string exposition)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("promtool")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("check");
        psi.ArgumentList.Add("metrics");
        using var p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("could not start promtool");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardInput.WriteAsync(exposition);
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }
}
