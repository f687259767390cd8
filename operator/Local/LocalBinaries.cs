namespace AgentOps.Operator.Local;

/// <summary>How to start one of our executables: the apphost next to `agentops`, else `dotnet NAME.dll`.</summary>
public sealed record LaunchCommand(string FileName, IReadOnlyList<string> PrefixArgs);

/// <summary>Finds agentops-trainer and agentops-workers next to the running `agentops` (the build copies them there).</summary>
public static class LocalBinaries
{
    public static LaunchCommand Find(string name, string? directory = null)
    {
        var dir = directory ?? AppContext.BaseDirectory;
        var dll = Path.Combine(dir, name + ".dll");
        if (File.Exists(dll))
            return new LaunchCommand(DotnetHost(), [dll]);
        var apphost = Path.Combine(dir, name);
        if (File.Exists(apphost))
            return new LaunchCommand(apphost, []);
        throw new FileNotFoundException(
            $"{name}: neither {dll} nor {apphost} exists; build the solution (`make build`) so it sits next to agentops", dll);
    }

    /// <summary>The dotnet host running us (so children use the same runtime), else `dotnet` on PATH.</summary>
    private static string DotnetHost()
    {
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (root is not null && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
        return "dotnet";
    }
}
