using System.Net;
using System.Net.Sockets;

namespace AgentOps.Testing;

/// <summary>Free TCP ports on 127.0.0.1, for real servers started by tests.</summary>
public static class LoopbackPort
{
    /// <summary>Binds 127.0.0.1:0, reads the port the kernel chose and releases it for the caller's server.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
