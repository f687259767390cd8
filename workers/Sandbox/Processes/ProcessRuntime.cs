using System.Diagnostics;
using AgentOps.Workers.Sandbox.Repl;
using Microsoft.Extensions.Logging;

namespace AgentOps.Workers.Sandbox.Processes;

/// <summary>
/// The fallback where runsc is missing: the driver runs as a plain process with rlimits (RLIMIT_AS, NPROC,
/// CPU, FSIZE, NOFILE, CORE via prlimit), a scrubbed environment and a private workspace folder as cwd.
/// As root it also gets its own network, PID and mount namespaces (no network; everything it starts dies
/// with it; it cannot see or signal host processes; private /tmp; the executor's folders hidden; see
/// <see cref="NamespaceScript"/>) and a fresh unprivileged uid per sandbox (so NPROC counts only this
/// sandbox and root-only files stay closed). Weaker than gVisor: it shares the host kernel and sees the
/// host's other world-readable files (e.g. /usr, /etc/passwd).
/// </summary>
internal sealed class ProcessRuntime : ISandboxRuntime
{
    // Per-sandbox uids: RLIMIT_NPROC is counted per uid, so sandboxes must not share one.
    private const int UidBase = 1_900_000;
    private const int UidCount = 100_000;
    // Random start per executor process: two executors on one host must not hand out the same uids.
    private static int s_nextUid = Random.Shared.Next(UidCount);

    private readonly SandboxOptions _options;
    private readonly TimeProvider _time;
    private readonly bool _privileged;
    private readonly string _driver;
    private readonly string _workspaces;

    public ProcessRuntime(SandboxOptions options, ILogger logger, TimeProvider time)
    {
        _options = options;
        _time = time;
        var why = "not root";
        _privileged = Libc.GetEuid() == 0 && NamespacesWork(out why);
        if (Libc.GetEuid() == 0 && !_privileged)
            SandboxLog.ProcessRuntimeIsWeaker(logger, "root, but namespaces are not available here (" + why + ")");
        _driver = ReplDriver.Materialize(options.EffectiveStateDir);
        _workspaces = Path.Combine(options.EffectiveStateDir, "process");
        Directory.CreateDirectory(_workspaces);
        Permissions.MakeDirWorldReadable(options.EffectiveStateDir);
        Permissions.MakeDirWorldReadable(_workspaces);
        SandboxLog.ProcessRuntimeIsWeaker(logger, _privileged
            ? "own network, PID and mount namespaces, a fresh uid per sandbox, rlimits; the host kernel and world-readable host files outside the hidden folders are shared"
            : "not root: rlimits and a private folder only; network, host processes and host files are NOT isolated");
    }

    public string Name => "process";

    /// <summary>Root inside a container without CAP_SYS_ADMIN cannot unshare: find out once, up front.</summary>
    private static bool NamespacesWork(out string why)
    {
        var psi = new ProcessStartInfo("unshare") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "--net", "--pid", "--mount", "--ipc", "--uts", "--fork", "--kill-child", "--propagation", "private", "--", "/bin/sh", "-c", "mount -t tmpfs agentops-probe /mnt" })
            psi.ArgumentList.Add(a);
        try
        {
            using var p = System.Diagnostics.Process.Start(psi)!;
            var err = p.StandardError.ReadToEnd();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(TimeSpan.FromSeconds(30))) { p.Kill(true); why = "unshare probe hung"; return false; }
            why = p.ExitCode == 0 ? "" : $"unshare exited {p.ExitCode}: {err.Trim()}";
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            why = "unshare not found: " + e.Message;
            return false;
        }
    }

    /// <summary>Host folders the sandbox must not see: the executor's binaries and working folder, the
    /// sandbox state (other sandboxes' files), home folders.</summary>
    private IEnumerable<string> HiddenPaths() =>
        new[] { AppContext.BaseDirectory, Environment.CurrentDirectory, _options.EffectiveStateDir, "/root", "/home" }
            .Select(p => Path.GetFullPath(p).TrimEnd('/'))
            .Where(p => p.Length > 1 && p != "/usr" && !p.StartsWith("/usr/", StringComparison.Ordinal) && p != "/proc")
            .Distinct();

    public async Task<InterpreterProcess> StartAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var limits = _options.EffectiveLimits;
        var workspace = Path.Combine(_workspaces, sandboxId);
        Directory.CreateDirectory(workspace);
        var uid = UidBase + (int)((uint)Interlocked.Increment(ref s_nextUid) % UidCount);

        var psi = new ProcessStartInfo { WorkingDirectory = workspace };
        var args = psi.ArgumentList;
        var driver = _driver;
        var home = workspace;
        if (_privileged)
        {
            psi.FileName = "unshare";
            foreach (var a in new[] { "--net", "--pid", "--mount", "--ipc", "--uts", "--fork", "--kill-child", "--propagation", "private", "--" })
                args.Add(a);
            args.Add("/bin/sh");
            args.Add("-c");
            args.Add(NamespaceScript.Text);
            args.Add("agentops-sandbox");
            args.Add(_driver);
            args.Add(_options.ToolsDir is null ? "" : Path.GetFullPath(_options.ToolsDir));
            args.Add(uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            args.Add(limits.WorkspaceMiB.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var hidden = HiddenPaths().ToList();
            args.Add(hidden.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var h in hidden) args.Add(h);
            args.Add("--");
            args.Add("prlimit");
            driver = NamespaceScript.Driver;
            home = NamespaceScript.Workspace;
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
        foreach (var a in new[] { _options.PythonPath, "-S", "-s", "-B", driver }) args.Add(a);

        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/bin:/bin";
        psi.Environment["HOME"] = home;
        psi.Environment["LANG"] = "C.UTF-8";
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        // One malloc arena: glibc reserves 64 MiB of address space per thread arena, which RLIMIT_AS counts
        // (measured: VmSize 163 MiB -> 17 MiB for the idle driver).
        psi.Environment["MALLOC_ARENA_MAX"] = "1";
        psi.Environment["AGENTOPS_OUTPUT_BYTES"] = limits.OutputBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["AGENTOPS_SUPERVISOR"] = "1";
        // What a recycle empties: the sandbox's private tmpfs folders; unprivileged, /tmp is the host's own.
        psi.Environment["AGENTOPS_WIPE"] = _privileged ? $"{NamespaceScript.Workspace}:/tmp:/var/tmp:/dev/shm" : workspace;
        if (_privileged) psi.Environment["PYTHONPATH"] = NamespaceScript.Tools;
        else if (_options.ToolsDir is not null) psi.Environment["PYTHONPATH"] = Path.GetFullPath(_options.ToolsDir);

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
