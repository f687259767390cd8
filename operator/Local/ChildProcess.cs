using System.Diagnostics;

namespace AgentOps.Operator.Local;

/// <summary>
/// One running incarnation of a <see cref="ChildSpec"/>. Started through `setsid` in its own session and
/// process group, so a Ctrl-C at the terminal reaches only `agentops` (which then stops children in order)
/// and a SIGKILL of the group also reaches what the child started (runsc sandboxes). stdout and stderr are
/// appended to the log file by the shell, so logs survive even if `agentops` itself dies.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;

    private ChildProcess(ChildSpec spec, Process process, string logPath)
    {
        Spec = spec;
        _process = process;
        LogPath = logPath;
    }

    public ChildSpec Spec { get; }
    public string LogPath { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public static ChildProcess Start(ChildSpec spec, string logDir)
    {
        Directory.CreateDirectory(logDir);
        var logPath = Path.Combine(logDir, spec.Name + ".log");
        File.AppendAllText(logPath, $"--- {DateTimeOffset.UtcNow:O} starting: {spec.CommandLine}\n");
        var psi = new ProcessStartInfo { FileName = "setsid", UseShellExecute = false };
        foreach (var a in (string[])["sh", "-c", "exec \"$@\" >>\"$AGENTOPS_LOG\" 2>&1 </dev/null", "sh", spec.Command.FileName])
            psi.ArgumentList.Add(a);
        foreach (var a in spec.Command.PrefixArgs.Concat(spec.Args)) psi.ArgumentList.Add(a);
        psi.Environment["AGENTOPS_LOG"] = logPath;
        psi.Environment["DOTNET_NOLOGO"] = "1";
        if (spec.Environment is not null)
            foreach (var (k, v) in spec.Environment) psi.Environment[k] = v;
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"{spec.Name}: could not start {spec.CommandLine}");
        return new ChildProcess(spec, process, logPath);
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken = default) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>SIGTERM, then after the spec's grace SIGKILL to the whole process group.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_process.HasExited) return;
        PosixSignals.Send(Pid, PosixSignals.SigTerm);
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        grace.CancelAfter(Spec.StopGrace);
        try
        {
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        // Grandchildren left behind by a child that exited (sandboxes) go with its group.
        PosixSignals.Send(-Pid, PosixSignals.SigKill);
    }

    public void Kill()
    {
        PosixSignals.Send(-Pid, PosixSignals.SigKill);
        PosixSignals.Send(Pid, PosixSignals.SigKill);
    }

    /// <summary>The last lines of the log, for error messages about a child that died.</summary>
    public string Tail(int lines = 15)
    {
        try
        {
            var all = File.ReadAllLines(LogPath);
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException e)
        {
            return $"(log {LogPath} unreadable: {e.Message})";
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
