namespace AgentOps.Operator.Local;

/// <summary>
/// gvisor when the manifest asks for it and `runsc` is on PATH; otherwise the process runtime, said loudly
/// (DESIGN.md, "Sandbox"; workers/Sandbox/Processes/ProcessRuntime.cs says what the process runtime isolates).
/// </summary>
public static class RuntimeDetector
{
    public static RuntimeChoice Choose(string requested, Func<string, string?>? which = null)
    {
        which ??= FindOnPath;
        if (requested == "process")
            return new RuntimeChoice("process", "spec.sandbox.runtime is process (rlimits, a timeout, a private workspace; as root also its own PID, network and mount namespaces and uid; it shares the host kernel: weaker than gVisor)", false);
        var runsc = which("runsc");
        return runsc is not null
            ? new RuntimeChoice("gvisor", $"spec.sandbox.runtime is gvisor and runsc is at {runsc}", false)
            : new RuntimeChoice("process", "spec.sandbox.runtime is gvisor but runsc is not on PATH: FALLING BACK to the process runtime, which does NOT isolate the code the agent writes (install runsc: `make deps`)", true);
    }

    public static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
