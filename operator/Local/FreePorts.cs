using System.Net;
using System.Net.Sockets;

namespace AgentOps.Operator.Local;

/// <summary>Loopback ports for the children: bind 127.0.0.1:0, read the port the kernel chose, release it.</summary>
public static class FreePorts
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
