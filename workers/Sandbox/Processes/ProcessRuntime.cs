using System.Diagnostics;
using AgentOps.Workers.Sandbox.Repl;
using Microsoft.Extensions.Logging;

namespace AgentOps.Workers.Sandbox.Processes;

/// <summary>
/// The fallback where runsc is missing: the driver runs as a plain process with rlimits (RLIMIT_AS, NPROC,
/// CPU, FSIZE, NOFILE, CORE via prlimit), a scrubbed environment and a private workspace folder as cwd.
/// As root it also gets its own network namespace (no network), its own PID namespace (everything it
/// starts dies with it, it cannot see or signal host processes) and a fresh unprivileged uid per sandbox
/// (so NPROC counts only this sandbox and root-only files stay closed). Weaker than gVisor: it shares the
/// host kernel and sees the host's world-readable files.
/// </summary>
internal sealed class ProcessRuntime : ISandboxRuntime
{
    // Per-sandbox uids: RLIMIT_NPROC is counted per uid, so sandboxes must not share one.
    private const int UidBase = 1_900_000;
    private const int UidCount = 100_000;
    private static int s_nextUid;

    private readonly SandboxOptions _options;
    private readonly TimeProvider _time;
    private readonly bool _privileged;
    private readonly string _driver;
    private readonly string _workspaces;

    public ProcessRuntime(SandboxOptions options, ILogger logger, TimeProvider time)
    {
        _options = options;
        _time = time;
        _privileged = Libc.GetEuid() == 0;
        _driver = ReplDriver.Materialize(options.EffectiveStateDir);
        _workspaces = Path.Combine(options.EffectiveStateDir, "process");
        Directory.CreateDirectory(_workspaces);
        Permissions.MakeDirWorldReadable(options.EffectiveStateDir);
        Permissions.MakeDirWorldReadable(_workspaces);
        SandboxLog.ProcessRuntimeIsWeaker(logger, _privileged
            ? "own network and PID namespaces, a fresh uid per sandbox, rlimits; host kernel and world-readable host files are shared"
            : "not root: rlimits and a private folder only; network, host processes and host files are NOT isolated");
    }

    public string Name => "process";

    public async Task<InterpreterProcess> StartAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var limits = _options.EffectiveLimits;
        var workspace = Path.Combine(_workspaces, sandboxId);
        Directory.CreateDirectory(workspace);
        var uid = UidBase + (int)((uint)Interlocked.Increment(ref s_nextUid) % UidCount);
        if (_privileged) Libc.Chown(workspace, uid, uid);

        var psi = new ProcessStartInfo { WorkingDirectory = workspace };
        var args = psi.ArgumentList;
        if (_privileged)
        {
            psi.FileName = "unshare";
            foreach (var a in new[] { "--net", "--pid", "--fork", "--kill-child", "--" }) args.Add(a);
            args.Add("prlimit");
        }
        else
        {
            psi.FileName = "prlimit";
        }
        long cpuSeconds = (long)Math.Ceiling(limits.EpisodeTimeoutSeconds * Math.Max(1, limits.Cpus)) + 1;
        args.Add($"--as={(long)limits.MemoryMiB << 20}");
        args.Add($"--nproc={limits.Pids}");
        args.Add($"--cpu={cpuSeconds}");
        args.Add($"--fsize={(long)limits.WorkspaceMiB << 20}");
        args.Add("--nofile=256");
        args.Add("--core=0");
        args.Add("--");
        if (_privileged)
        {
            foreach (var a in new[] { "setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--no-new-privs", "--" })
                args.Add(a);
        }
        foreach (var a in new[] { _options.PythonPath, "-S", "-s", "-B", _driver }) args.Add(a);

        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/bin:/bin";
        psi.Environment["HOME"] = workspace;
        psi.Environment["LANG"] = "C.UTF-8";
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        psi.Environment["AGENTOPS_OUTPUT_BYTES"] = limits.OutputBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (_options.ToolsDir is not null) psi.Environment["PYTHONPATH"] = Path.GetFullPath(_options.ToolsDir);

        try
        {
            var (interp, _) = await InterpreterProcess.StartAsync(
                psi, MaxFrameBytes(limits), p => KillAsync(p, workspace), _options.StartTimeout, _time, cancellationToken)
                .ConfigureAwait(false);
            return interp;
        }
        catch
        {
            DeleteWorkspace(workspace);
            throw;
        }
    }

    /// <summary>A result frame holds at most OutputBytes of text, JSON-escaped (at most 6 bytes per byte),
    /// plus the traceback and field names.</summary>
    internal static int MaxFrameBytes(SandboxLimits limits) => limits.OutputBytes * 6 + (64 << 10);

    private static Task KillAsync(System.Diagnostics.Process p, string workspace)
    {
        try { p.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // already exited
        catch (System.ComponentModel.Win32Exception) { }
        DeleteWorkspace(workspace);
        return Task.CompletedTask;
    }

    private static void DeleteWorkspace(string workspace)
    {
        try { Directory.Delete(workspace, recursive: true); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) { } // a straggler still writing; the folder name is unique, a later sweep may retry
        catch (UnauthorizedAccessException) { }
    }
}
