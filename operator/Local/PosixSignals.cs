using System.Runtime.InteropServices;

namespace AgentOps.Operator.Local;

/// <summary>kill(2): .NET's Process.Kill only sends SIGKILL; the trainer needs SIGTERM to checkpoint.</summary>
internal static partial class PosixSignals
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Signals the process; a negative pid signals its whole process group.</summary>
    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;
}
