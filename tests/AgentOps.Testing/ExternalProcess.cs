using System.Diagnostics;
using System.Text;

namespace AgentOps.Testing;

/// <summary>
/// A real program started by a test (redis-server, prometheus): its output is kept for error messages and it
/// is killed, with its children, when disposed.
/// </summary>
public sealed class ExternalProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ExternalProcess(Process process) => _process = process;

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>The last 4,000 characters of stdout and stderr together.</summary>
    public string OutputTail
    {
        get
        {
            lock (_output)
                return _output.Length <= 4000 ? _output.ToString() : _output.ToString(_output.Length - 4000, 4000);
        }
    }

    public static ExternalProcess Start(string fileName, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var result = new ExternalProcess(process);
        process.OutputDataReceived += (_, e) => result.Append(e.Data);
        process.ErrorDataReceived += (_, e) => result.Append(e.Data);
        if (!process.Start()) throw new InvalidOperationException($"could not start {fileName}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>SIGKILL (a crash: nothing is flushed that was not flushed already), then waits for the exit.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // exited between the check and the kill
        }
        _process.WaitForExit(10_000);
    }

    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.Append(line).Append('\n');
    }
}
