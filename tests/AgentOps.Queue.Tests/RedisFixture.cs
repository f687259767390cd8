using AgentOps.Testing.Redis;
using StackExchange.Redis;

namespace AgentOps.Queue.Tests;

/// <summary>One real redis-server (no AOF) and one multiplexer shared by a test class; every test uses its own run id.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;
    public ConnectionMultiplexer Connection { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await RedisServer.StartAsync();
        Connection = await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        Connection.Dispose();
        await Server.DisposeAsync();
    }
}
