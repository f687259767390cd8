using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentOps.Workers.Sandbox.Gvisor;

/// <summary>
/// The OCI runtime bundle (runtime-spec 1.0 config.json) of one sandbox: a shared, empty, read-only root
/// (folders and mount points only, plus a two-line /etc/passwd and /etc/group) with read-only binds of
/// python, its stdlib and libraries, the driver and the tool modules; tmpfs /workspace and /tmp;
/// no capabilities, no new privileges, an unprivileged user, rlimits for memory, pids, CPU and files.
/// </summary>
internal static class OciBundle
{
    public const string Workspace = "/workspace";
    public const string ToolsMount = "/opt/agentops/tools";
    public const string DriverMount = "/opt/agentops/driver/repl.py";
    public const int SandboxUid = 65534;

    /// <summary>Creates (once) the skeleton root the bundles share. Mount points must exist in a
    /// read-only root, so every bind target is created here as an empty file or folder.</summary>
    public static void EnsureRoot(string rootDir, PythonFiles python)
    {
        if (File.Exists(Path.Combine(rootDir, ".complete"))) return;
        Directory.CreateDirectory(rootDir);
        foreach (var d in new[] { "etc", "tmp", "proc", "dev", "workspace", "opt/agentops/tools", "opt/agentops/driver" })
            Directory.CreateDirectory(Path.Combine(rootDir, d));
        Directory.CreateDirectory(Inside(rootDir, python.StdlibDir));
        Touch(Inside(rootDir, python.Binary));
        foreach (var (path, _) in python.Libraries) Touch(Inside(rootDir, path));
        Touch(Inside(rootDir, DriverMount));
        File.WriteAllText(Path.Combine(rootDir, "etc/passwd"), $"root:x:0:0:root:/:/bin/false\nsandbox:x:{SandboxUid}:{SandboxUid}:sandbox:{Workspace}:/bin/false\n");
        File.WriteAllText(Path.Combine(rootDir, "etc/group"), $"root:x:0:\nsandbox:x:{SandboxUid}:\n");
        File.WriteAllText(Path.Combine(rootDir, ".complete"), "");
    }

    public static string Build(string rootDir, PythonFiles python, string driverPath, string? toolsDir, SandboxLimits limits)
    {
        var mounts = new JsonArray
        {
            Mount("/proc", "proc", "proc"),
            Mount(Workspace, "tmpfs", "tmpfs", "nosuid", "nodev", $"size={limits.WorkspaceMiB}m", "mode=1777"),
            Mount("/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", "size=16m", "mode=1777"),
            Bind(python.Binary, python.Binary),
            Bind(python.StdlibDir, python.StdlibDir),
            Bind(DriverMount, driverPath),
        };
        foreach (var (path, source) in python.Libraries) mounts.Add(Bind(path, source));
        if (toolsDir is not null) mounts.Add(Bind(ToolsMount, Path.GetFullPath(toolsDir)));

        long memory = (long)limits.MemoryMiB << 20;
        long cpuSeconds = (long)Math.Ceiling(limits.EpisodeTimeoutSeconds * Math.Max(1, limits.Cpus)) + 1;
        var spec = new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = SandboxUid, ["gid"] = SandboxUid },
                ["args"] = new JsonArray(python.Binary, "-S", "-s", "-B", DriverMount),
                ["env"] = new JsonArray(
                    "PATH=/usr/bin", $"PYTHONPATH={ToolsMount}", $"HOME={Workspace}", "LANG=C.UTF-8",
                    "PYTHONDONTWRITEBYTECODE=1", "MALLOC_ARENA_MAX=1",
                    "AGENTOPS_SUPERVISOR=1", $"AGENTOPS_WIPE={Workspace}:/tmp", $"AGENTOPS_OUTPUT_BYTES={limits.OutputBytes}"),
                ["cwd"] = Workspace,
                ["noNewPrivileges"] = true,
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = new JsonArray(), ["effective"] = new JsonArray(), ["permitted"] = new JsonArray(),
                    ["inheritable"] = new JsonArray(), ["ambient"] = new JsonArray(),
                },
                ["rlimits"] = new JsonArray(
                    Rlimit("RLIMIT_AS", memory), Rlimit("RLIMIT_NPROC", limits.Pids), Rlimit("RLIMIT_CPU", cpuSeconds),
                    Rlimit("RLIMIT_FSIZE", (long)limits.WorkspaceMiB << 20), Rlimit("RLIMIT_NOFILE", 256), Rlimit("RLIMIT_CORE", 0)),
            },
            ["root"] = new JsonObject { ["path"] = rootDir, ["readonly"] = true },
            ["hostname"] = "sandbox",
            ["mounts"] = mounts,
            ["linux"] = new JsonObject
            {
                ["namespaces"] = new JsonArray(Ns("pid"), Ns("network"), Ns("ipc"), Ns("uts"), Ns("mount")),
            },
        };
        return spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static string Inside(string root, string absolute) => Path.Combine(root, absolute.TrimStart('/'));

    private static void Touch(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path)) File.WriteAllBytes(path, []);
    }

    private static JsonObject Mount(string destination, string type, string source, params string[] options) => new()
    {
        ["destination"] = destination, ["type"] = type, ["source"] = source,
        ["options"] = new JsonArray(options.Select(o => (JsonNode?)JsonValue.Create(o)).ToArray()),
    };

    private static JsonObject Bind(string destination, string source) =>
        Mount(destination, "bind", source, "rbind", "ro", "nosuid", "nodev");

    private static JsonObject Rlimit(string type, long value) => new() { ["type"] = type, ["hard"] = value, ["soft"] = value };

    private static JsonObject Ns(string type) => new() { ["type"] = type };
}
