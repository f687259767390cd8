namespace AgentOps.Operator.Tests;

/// <summary>Files checked into the repository (crds/, charts/, golden manifests), found from the test binary upwards.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AgentOps.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"AgentOps.sln not found above {AppContext.BaseDirectory}");
    }
}
