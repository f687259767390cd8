using System.Net.Sockets;
using System.Text;

namespace AgentOps.Operator.Local;

/// <summary>Waits until a redis-server answers PING with +PONG (RESP inline command).</summary>
public static class RedisProbe
{
    public static async Task WaitAsync(int port, Func<bool> alive, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (!alive()) throw new InvalidOperationException($"redis-server: exited before answering PING on 127.0.0.1:{port}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port, cancellationToken);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
                var buffer = new byte[64];
                var n = await stream.ReadAsync(buffer, cancellationToken);
                var reply = Encoding.ASCII.GetString(buffer, 0, n);
                if (reply.StartsWith("+PONG", StringComparison.Ordinal)) return;
                last = reply.Trim();
            }
            catch (SocketException e)
            {
                last = e.Message;
            }
            await Task.Delay(100, cancellationToken);
        }
        throw new TimeoutException($"redis-server: no PONG on 127.0.0.1:{port} after {timeout.TotalSeconds:0}s (last: {last})");
    }
}
