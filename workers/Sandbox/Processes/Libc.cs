using System.Runtime.InteropServices;

namespace AgentOps.Workers.Sandbox.Processes;

internal static partial class Libc
{
    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ChownNative(string path, int owner, int group);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    public static void Chown(string path, int uid, int gid)
    {
        if (ChownNative(path, uid, gid) != 0)
            throw new IOException($"chown {uid}:{gid} '{path}' failed: errno {Marshal.GetLastPInvokeError()}");
    }
}
