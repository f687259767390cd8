namespace AgentOps.Workers.Sandbox.Repl;

/// <summary>The sandbox user is not the executor's user: what it must read is made world-readable.</summary>
internal static class Permissions
{
    private const UnixFileMode Dir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                     UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
                                     UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    private const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite |
                                      UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Sets 0644 on the file and 0755 on every folder from <paramref name="root"/> down to it.</summary>
    public static void MakeWorldReadable(string root, string file)
    {
        if (OperatingSystem.IsWindows()) return;
        System.IO.File.SetUnixFileMode(file, File);
        var rootFull = Path.GetFullPath(root);
        for (var d = Path.GetDirectoryName(Path.GetFullPath(file)); d is not null && d.StartsWith(rootFull, StringComparison.Ordinal); d = Path.GetDirectoryName(d))
            System.IO.File.SetUnixFileMode(d, Dir);
    }

    public static void MakeDirWorldReadable(string dir)
    {
        if (!OperatingSystem.IsWindows()) System.IO.File.SetUnixFileMode(dir, Dir);
    }
}
