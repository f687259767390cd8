using System.Reflection;
using System.Text.Json;
using AgentOps.Workers.Environments.MultihopQa;
using AgentOps.Workers.Environments.Tools;

namespace AgentOps.Workers.Environments;

/// <summary>
/// The host folder the sandbox mounts read-only at /opt/agentops/tools (on PYTHONPATH): the environments'
/// Python modules (`biz`, `qa`, embedded in this assembly) and their worlds as JSON under `data/`,
/// generated from the run's seed so the C# verifiers and the sandbox's tools share one world.
/// </summary>
public sealed record ToolsFolder(string Path, BusinessWorld Business, Corpus Corpus)
{
    public static readonly string[] Modules = ["biz.py", "qa.py"];

    /// <summary>The worlds of a seed, without writing anything (what verifiers need).</summary>
    public static (BusinessWorld Business, Corpus Corpus) Worlds(long seed) =>
        (BusinessWorld.Generate(TaskSeeds.For(seed, -1)), Corpus.Generate(TaskSeeds.For(seed, -2)));

    /// <summary>Sandboxes run as their own uid (process runtime): the folder must be world-readable, never writable.</summary>
    private static void MakeReadable(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        const UnixFileMode Dir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
            | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.SetUnixFileMode(dir, Dir);
        foreach (var d in Directory.GetDirectories(dir, "*", SearchOption.AllDirectories)) File.SetUnixFileMode(d, Dir);
        foreach (var f in Directory.GetFiles(dir, "*", SearchOption.AllDirectories)) File.SetUnixFileMode(f, FileMode);
    }

    public static ToolsFolder Write(string path, long seed)
    {
        var (business, corpus) = Worlds(seed);
        Directory.CreateDirectory(System.IO.Path.Combine(path, "data"));
        var assembly = typeof(ToolsFolder).Assembly;
        foreach (var module in Modules)
        {
            using var source = assembly.GetManifestResourceStream("AgentOps.Workers.Environments.Python." + module)
                ?? throw new InvalidOperationException($"tool module {module} is not embedded in {assembly.GetName().Name}");
            using var target = File.Create(System.IO.Path.Combine(path, module));
            source.CopyTo(target);
        }
        File.WriteAllText(System.IO.Path.Combine(path, "data", "biz.json"), JsonSerializer.Serialize(business));
        File.WriteAllText(System.IO.Path.Combine(path, "data", "corpus.json"), JsonSerializer.Serialize(corpus));
        MakeReadable(path);
        return new ToolsFolder(path, business, corpus);
    }
}
