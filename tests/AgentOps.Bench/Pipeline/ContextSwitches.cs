using System.Runtime.InteropServices;

namespace AgentOps.Bench.Pipeline;

/// <summary>
/// Context switches of this process so far, all threads (exited ones included), voluntary + involuntary: getrusage(2)
/// RUSAGE_SELF's ru_nvcsw + ru_nivcsw. Each time a thread sleeps (a pool worker with nothing to do, a socket wait) and is
/// woken costs one; on a 2-core box those wake-ups are a large part of the pipeline's kernel time.
/// </summary>
internal static class ContextSwitches
{
    public static long Read()
    {
        // struct rusage on Linux x86-64/arm64: two timevals (4 longs), then 14 longs; ru_nvcsw and ru_nivcsw are the last two.
        var usage = new long[18];
        if (getrusage(0, usage) != 0) throw new InvalidOperationException($"getrusage(RUSAGE_SELF) failed: errno {Marshal.GetLastPInvokeError()}");
        return usage[16] + usage[17];
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, [Out] long[] usage);
}
