namespace AgentOps.Workers.Environments;

/// <summary>
/// The host folder the sandbox mounts read-only at /opt/agentops/tools (on PYTHONPATH): the environments' Python
/// modules (`biz`, `qa`, embedded in this assembly). They hold no data: each task's own world reaches them through
/// the task's setup cell (<see cref="WorldSetup"/>).
/// </summary>
public sealed record ToolsFolder(string Path)
{
    public static readonly string[] Modules = ["biz.py", "qa.py"];

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

    public static ToolsFolder Write(string path)
    {
        Directory.CreateDirectory(path);
        var assembly = typeof(ToolsFolder).Assembly;
        foreach (var module in Modules)
        {
            using var source = assembly.GetManifestResourceStream("AgentOps.Workers.Environments.Python." + module)
                ?? throw new InvalidOperationException($"tool module {module} is not embedded in {assembly.GetName().Name}");
            using var target = File.Create(System.IO.Path.Combine(path, module));
            source.CopyTo(target);
        }
        MakeReadable(path);
        return new ToolsFolder(path);
    }
}
