using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace AgentOps.Workers.Sandbox.Repl;

/// <summary>A started driver: writes cell requests to its stdin and reads result frames from its protocol
/// stream (the driver's original stdout). How it was started and how it is killed belong to the runtime.</summary>
internal sealed class InterpreterProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly BoundedLineReader _reader;
    private readonly Func<Task> _killTree;
    private readonly StringBuilder _stderrTail = new();
    private readonly Task _stderrPump;
    private int _killed;

    private InterpreterProcess(Process process, int maxFrameBytes, Func<Task> killTree)
    {
        _process = process;
        _stdin = process.StandardInput.BaseStream;
        _reader = new BoundedLineReader(process.StandardOutput.BaseStream, maxFrameBytes);
        _killTree = killTree;
        _stderrPump = PumpStderrAsync(process.StandardError);
    }

    public int Pid => _process.Id;

    private TimeSpan _startTimeout;
    private long _generation;

    /// <summary>The supervisor runs in its own PID namespace (it is PID 1 there), so a reset can kill every
    /// process of the sandbox; only then may the sandbox be recycled.</summary>
    public bool Isolated { get; private set; }

    /// <summary>Recycle: the interpreter restores and verifies its pristine state in-process (soft), or
    /// the supervisor kills it and everything it started, empties the writable folders and forks a fresh
    /// one (fork); returns once the sandbox said it is ready, with which kind happened.</summary>
    /// <exception cref="SandboxUnavailableException">The reset failed or timed out: dispose the sandbox.</exception>
    public async Task<ResetOutcome> ResetAsync(CancellationToken cancellationToken)
    {
        var generation = ++_generation;
        await _stdin.WriteAsync(Encoding.ASCII.GetBytes($"{{\"reset\":{generation}}}\n"), cancellationToken).ConfigureAwait(false);
        await _stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(_startTimeout);
        try
        {
            while (true)
            {
                CellFrame? frame;
                try
                {
                    frame = await ReadFrameAsync(cts.Token).ConfigureAwait(false);
                }
                catch (SandboxProtocolException e) when (!e.Oversized)
                {
                    continue; // the tail of a frame the killed interpreter was writing
                }
                if (frame is null)
                    throw new SandboxUnavailableException($"sandbox exited during reset ({ExitDescription}); runtime stderr: {StderrTail}");
                if (frame.ResetError is { } error)
                    throw new SandboxUnavailableException($"sandbox reset failed: {error}");
                if (frame.Ready && frame.Generation == generation)
                    return new ResetOutcome(frame.Reset ?? ResetOutcome.Fork, frame.ResetReason);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SandboxUnavailableException($"sandbox reset did not finish within the {_startTimeout.TotalSeconds:0.#} s start timeout");
        }
        catch (SandboxProtocolException e)
        {
            throw new SandboxUnavailableException($"sandbox reset failed: {e.Message}", e);
        }
    }

    /// <summary>Last 4 KiB of what the runtime itself (runsc, unshare, python before the driver took over)
    /// wrote to stderr: for error messages when the sandbox fails to start or dies.</summary>
    public string StderrTail { get { lock (_stderrTail) return _stderrTail.ToString(); } }

    public bool HasExited => _process.HasExited;

    public string ExitDescription
    {
        get
        {
            if (!_process.HasExited) return "still running";
            var code = _process.ExitCode;
            return code > 128 ? $"killed by signal {code - 128}" : $"exit code {code}";
        }
    }

    /// <summary>Starts the process and waits for the driver's ready banner.</summary>
    public static async Task<(InterpreterProcess Interpreter, CellFrame Banner)> StartAsync(
        ProcessStartInfo psi, int maxFrameBytes, Func<Process, Task> killTree, TimeSpan startTimeout, TimeProvider time,
        CancellationToken cancellationToken)
    {
        psi.RedirectStandardInput = psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Exception e)
        {
            process.Dispose();
            throw new SandboxUnavailableException($"could not start '{psi.FileName}': {e.Message}", e);
        }

        var interp = new InterpreterProcess(process, maxFrameBytes, () => killTree(process));
        interp._startTimeout = startTimeout;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var read = interp.ReadFrameAsync(cts.Token);
            var winner = await Task.WhenAny(read, Task.Delay(startTimeout, time, cts.Token)).ConfigureAwait(false);
            if (winner != read)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new SandboxUnavailableException(
                    $"sandbox did not become ready within the {startTimeout.TotalSeconds:0.#} s start timeout; runtime stderr: {interp.StderrTail}");
            }
            cts.Cancel();
            var banner = await read.ConfigureAwait(false);
            if (banner is not { Ready: true })
            {
                await interp.WaitExitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                throw new SandboxUnavailableException(
                    $"sandbox exited before it was ready ({interp.ExitDescription}); runtime stderr: {interp.StderrTail}");
            }
            interp.Isolated = banner.Isolated;
            return (interp, banner);
        }
        catch (Exception e) when (e is not SandboxUnavailableException and not OperationCanceledException)
        {
            await interp.DisposeAsync().ConfigureAwait(false);
            throw new SandboxUnavailableException($"sandbox start failed: {e.Message}; runtime stderr: {interp.StderrTail}", e);
        }
        catch
        {
            await interp.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends one cell; the matching result is read with <see cref="ReadResultAsync"/>.</summary>
    public async Task SendAsync(long id, string code, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new CellRequest(id, code), ReplJsonContext.Default.CellRequest);
        await _stdin.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await _stdin.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await _stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The result frame for <paramref name="id"/> (frames with other ids, e.g. written by a forked
    /// child, are skipped); null when the driver's stream ended (the interpreter died).</summary>
    public async Task<CellFrame?> ReadResultAsync(long id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await ReadFrameAsync(cancellationToken).ConfigureAwait(false);
            if (frame is null || (!frame.Ready && frame.Id == id)) return frame;
        }
    }

    private async Task<CellFrame?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var line = await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (line is null) return null;
        try
        {
            return JsonSerializer.Deserialize(line, ReplJsonContext.Default.CellFrame)
                   ?? throw new SandboxProtocolException("result frame was JSON null");
        }
        catch (JsonException e)
        {
            var head = Encoding.UTF8.GetString(line.AsSpan(0, Math.Min(line.Length, 80)));
            throw new SandboxProtocolException($"result frame is not JSON ({e.Message}); it starts with '{head}'");
        }
    }

    /// <summary>Kills the interpreter and everything it started; idempotent.</summary>
    public async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _killed, 1) == 1) return;
        await _killTree().ConfigureAwait(false);
    }

    public async Task WaitExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    private async Task PumpStderrAsync(StreamReader stderr)
    {
        var buf = new char[4096];
        try
        {
            int n;
            while ((n = await stderr.ReadAsync(buf).ConfigureAwait(false)) > 0)
                lock (_stderrTail)
                {
                    _stderrTail.Append(buf, 0, n);
                    if (_stderrTail.Length > 4096) _stderrTail.Remove(0, _stderrTail.Length - 4096);
                }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        await WaitExitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        try { _stdin.Dispose(); } catch (IOException) { }
        await Task.WhenAny(_stderrPump, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        _process.Dispose();
    }
}

/// <summary>How a recycle went: <see cref="Soft"/> (verified in-process reset, no fork) or <see cref="Fork"/>
/// (fresh interpreter), and for a fork the first difference the soft reset found.</summary>
internal sealed record ResetOutcome(string Kind, string? Reason)
{
    public const string Soft = "soft";
    public const string Fork = "fork";
}
