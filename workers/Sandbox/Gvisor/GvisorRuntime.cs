using System.Diagnostics;
using AgentOps.Workers.Sandbox.Processes;
using AgentOps.Workers.Sandbox.Repl;
using Microsoft.Extensions.Logging;

namespace AgentOps.Workers.Sandbox.Gvisor;

/// <summary>
/// gVisor: <c>runsc run</c> of an OCI bundle (see <see cref="OciBundle"/>) with <c>--network=none</c>.
/// The driver's stdio is the container's stdio, so the protocol is the same as the process runtime's.
/// Cgroups are not configured in this container (<c>--ignore-cgroups</c>): memory, pids, CPU time and
/// file size are enforced by rlimits inside the sandbox kernel, and /workspace is a size-capped tmpfs.
/// </summary>
internal sealed class GvisorRuntime : ISandboxRuntime
{
    private readonly SandboxOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _runsc;
    private readonly string _stateRoot;
    private readonly string _bundles;
    private readonly string _rootDir;
    private readonly PythonFiles _python;
    private readonly string _driver;

    public GvisorRuntime(SandboxOptions options, ILogger logger, TimeProvider time)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _runsc = ResolveRunsc(options.RunscPath) ?? throw new SandboxUnavailableException($"sandbox.runscPath: runsc not found at '{options.RunscPath}'");
        var dir = Path.Combine(options.EffectiveStateDir, "gvisor");
        _stateRoot = Path.Combine(dir, "state");
        _bundles = Path.Combine(dir, "bundles");
        Directory.CreateDirectory(_stateRoot);
        Directory.CreateDirectory(_bundles);
        _python = PythonFiles.DiscoverCached(options.PythonPath);
        _driver = ReplDriver.Materialize(options.EffectiveStateDir);
        // One skeleton per interpreter + library set: a different python gets a different root.
        var key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(string.Join('\n', _python.Libraries.Select(l => l.Path).Prepend(_python.Binary)))))[..12];
        _rootDir = Path.Combine(dir, "root-" + key);
        OciBundle.EnsureRoot(_rootDir, _python);
        var l = options.EffectiveLimits;
        SandboxLog.GvisorLimits(logger, l.MemoryMiB, l.Pids, l.WorkspaceMiB, l.Cpus);
    }

    public string Name => "gvisor";

    /// <summary>Null when runsc can be used here; otherwise why not.</summary>
    public static string? Probe(SandboxOptions options)
    {
        if (ResolveRunsc(options.RunscPath) is null) return $"runsc not found (sandbox.runscPath='{options.RunscPath}')";
        if (Libc.GetEuid() != 0) return "runsc run needs root here (not running as root)";
        return null;
    }

    public static string? ResolveRunsc(string runsc)
    {
        if (runsc.Contains('/')) return File.Exists(runsc) ? Path.GetFullPath(runsc) : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var p = Path.Combine(dir, runsc);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    public async Task<InterpreterProcess> StartAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var limits = _options.EffectiveLimits;
        var bundle = Path.Combine(_bundles, sandboxId);
        Directory.CreateDirectory(bundle);
        await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"),
            OciBundle.Build(_rootDir, _python, _driver, _options.ToolsDir, limits), cancellationToken).ConfigureAwait(false);

        var psi = new ProcessStartInfo(_runsc) { WorkingDirectory = bundle };
        foreach (var a in GlobalFlags()) psi.ArgumentList.Add(a);
        foreach (var a in new[] { "run", "--bundle", bundle, sandboxId }) psi.ArgumentList.Add(a);
        // runsc itself needs nothing from the executor's environment; the container's env is in the spec.
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";

        try
        {
            return (await InterpreterProcess.StartAsync(psi, ProcessRuntime.MaxFrameBytes(limits),
                p => KillAsync(p, sandboxId, bundle), _options.StartTimeout, _time, cancellationToken).ConfigureAwait(false)).Interpreter;
        }
        catch
        {
            await DeleteContainerAsync(sandboxId, bundle).ConfigureAwait(false);
            throw;
        }
    }

    private IEnumerable<string> GlobalFlags() => ["--root", _stateRoot, "--network=none", "--ignore-cgroups"];

    private async Task KillAsync(System.Diagnostics.Process runscRun, string id, string bundle)
    {
        // `runsc run` holds the sandbox attached (--attached): killing its tree stops the sandbox, the gofer
        // and everything inside at once; `delete --force` then only clears the state (0.1 s instead of a
        // 5 s "stopping container: context deadline exceeded" when deleting a live one first).
        try { runscRun.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // already exited
        catch (System.ComponentModel.Win32Exception) { }
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try { await runscRun.WaitForExitAsync(cts.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        await DeleteContainerAsync(id, bundle).ConfigureAwait(false);
    }

    /// <summary><c>runsc delete --force</c> kills the sandbox, its gofer and every process inside.</summary>
    private async Task DeleteContainerAsync(string id, string bundle)
    {
        var psi = new ProcessStartInfo(_runsc) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in GlobalFlags()) psi.ArgumentList.Add(a);
        foreach (var a in new[] { "delete", "--force", id }) psi.ArgumentList.Add(a);
        using (var p = System.Diagnostics.Process.Start(psi)!)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var stderr = p.StandardError.ReadToEndAsync(cts.Token);
            await p.StandardOutput.ReadToEndAsync(cts.Token).ConfigureAwait(false);
            try { await p.WaitForExitAsync(cts.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { p.Kill(entireProcessTree: true); }
            var err = await stderr.ConfigureAwait(false);
            if (p.HasExited && p.ExitCode != 0 && !err.Contains("does not exist", StringComparison.Ordinal))
                SandboxLog.Killed(_logger, id, "delete", $"runsc delete exited {p.ExitCode}: {err.Trim()}");
        }
        try { Directory.Delete(bundle, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
