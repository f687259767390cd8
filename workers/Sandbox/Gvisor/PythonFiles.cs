using System.Diagnostics;
using System.Text.RegularExpressions;

namespace AgentOps.Workers.Sandbox.Gvisor;

/// <summary>What the interpreter needs inside an otherwise empty root: the binary, its standard library
/// and the shared libraries that it and its extension modules (lib-dynload) load, as ldd reports them.</summary>
internal sealed partial record PythonFiles(string Binary, string StdlibDir, IReadOnlyList<(string Path, string Source)> Libraries)
{
    [GeneratedRegex(@"(?:=>\s*)?(/\S+)\s+\(0x[0-9a-f]+\)")]
    private static partial Regex LddPath();

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<PythonFiles>> Cache = new();

    /// <summary>ldd over lib-dynload takes 7 s on this loaded box, so it runs once per interpreter per process.</summary>
    public static PythonFiles DiscoverCached(string python) =>
        Cache.GetOrAdd(Path.GetFullPath(python), p => new Lazy<PythonFiles>(() => Discover(p))).Value;

    /// <summary>Finds the stdlib next to <paramref name="python"/> and runs ldd once over it and lib-dynload.</summary>
    public static PythonFiles Discover(string python)
    {
        var binary = Path.GetFullPath(python);
        var real = new FileInfo(binary).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? binary;
        var name = Path.GetFileName(real); // python3.11
        var stdlib = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(real)!)!, "lib", name);
        if (!File.Exists(Path.Combine(stdlib, "os.py")))
            throw new SandboxUnavailableException($"sandbox.pythonPath: no standard library at '{stdlib}' for '{python}'");

        var objects = new List<string> { real };
        var dynload = Path.Combine(stdlib, "lib-dynload");
        if (Directory.Exists(dynload)) objects.AddRange(Directory.GetFiles(dynload, "*.so"));

        var psi = new ProcessStartInfo("ldd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var o in objects) psi.ArgumentList.Add(o);
        using var ldd = System.Diagnostics.Process.Start(psi) ?? throw new SandboxUnavailableException("could not run ldd");
        var output = ldd.StandardOutput.ReadToEnd();
        ldd.StandardError.ReadToEnd();
        ldd.WaitForExit();

        var libs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in LddPath().Matches(output))
        {
            var path = m.Groups[1].Value;
            if (path.StartsWith(stdlib, StringComparison.Ordinal) || !File.Exists(path)) continue;
            libs[path] = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        }
        if (!libs.Keys.Any(k => k.Contains("libc.so", StringComparison.Ordinal)))
            throw new SandboxUnavailableException($"ldd found no libc for '{real}': {output}");
        return new PythonFiles(real, stdlib, libs.Select(kv => (kv.Key, kv.Value)).ToList());
    }
}
