namespace AgentOps.Workers.Sandbox.Processes;

/// <summary>
/// The shell step the process runtime runs as root inside its fresh mount/PID/network namespaces, before
/// it drops to the sandbox uid: it builds the same layout the gVisor root has (driver and tools read-only
/// under /opt/agentops, a size-capped tmpfs workspace), gives /tmp, /var/tmp and /dev/shm private tmpfs,
/// hides the executor's folders behind empty read-only tmpfs, and mounts a /proc that shows only the
/// sandbox's own processes. Mounts made here are private to the namespace and vanish with it.
/// Arguments: driver tools uid workspaceMiB hiddenCount hidden... -- command...
/// </summary>
internal static class NamespaceScript
{
    public const string Workspace = "/opt/agentops/workspace";
    public const string Tools = "/opt/agentops/tools";
    public const string Driver = "/opt/agentops/driver/repl.py";

    public const string Text = """
        set -eu
        driver=$1; tools=$2; uid=$3; mib=$4; n=$5; shift 5
        stage=/mnt
        mount -t tmpfs -o size=1m,mode=755 agentops-stage "$stage"
        mkdir "$stage/tools"; : > "$stage/repl.py"
        mount --bind "$driver" "$stage/repl.py"
        if [ -n "$tools" ]; then mount --rbind "$tools" "$stage/tools"; fi
        while [ "$n" -gt 0 ]; do
          if [ -d "$1" ]; then mount -t tmpfs -o size=4k,mode=555,ro agentops-hidden "$1"; fi
          shift; n=$((n - 1))
        done
        for d in /tmp /var/tmp /dev/shm; do
          if [ -d "$d" ]; then mount -t tmpfs -o "size=${mib}m,mode=1777,nosuid,nodev" agentops-tmp "$d"; fi
        done
        mount -t tmpfs -o "size=${mib}m,mode=755,nosuid,nodev" agentops-opt /opt
        mkdir -p /opt/agentops/tools /opt/agentops/driver /opt/agentops/workspace
        : > /opt/agentops/driver/repl.py
        mount --bind "$stage/repl.py" /opt/agentops/driver/repl.py
        mount -o remount,bind,ro /opt/agentops/driver/repl.py
        mount --rbind "$stage/tools" /opt/agentops/tools
        mount -o remount,bind,ro /opt/agentops/tools
        chown "$uid:$uid" /opt/agentops/workspace
        chmod 700 /opt/agentops/workspace
        mount -t proc -o nosuid,nodev,noexec proc /proc
        cd /opt/agentops/workspace
        shift
        exec "$@"
        """;
}
