using System.Collections.Concurrent;
using StackExchange.Redis;

namespace AgentOps.Operator.Reconcile;

/// <summary>Removes a run's trajectory stream when the run is deleted (the finalizer's work; a seam for tests).</summary>
public interface IRunStreamCleaner
{
    Task DeleteStreamAsync(string redisUrl, string run, CancellationToken ct);
}

/// <summary>DEL agentops:RUN:trajectories (the stream and its consumer group) on the run's Redis.</summary>
public sealed class RedisRunStreamCleaner : IRunStreamCleaner, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ConnectionMultiplexer>>> _connections = new();

    public async Task DeleteStreamAsync(string redisUrl, string run, CancellationToken ct)
    {
        var connection = await _connections.GetOrAdd(redisUrl, url => new Lazy<Task<ConnectionMultiplexer>>(() => ConnectAsync(url))).Value;
        await connection.GetDatabase().KeyDeleteAsync(Names.Stream(run)).WaitAsync(ct);
    }

    /// <summary>redis://[:password@]host:port → StackExchange.Redis configuration.</summary>
    public static ConfigurationOptions ParseUrl(string url)
    {
        var uri = new Uri(url);
        var options = new ConfigurationOptions { AbortOnConnectFail = false, ConnectTimeout = 5000, Ssl = uri.Scheme == "rediss" };
        options.EndPoints.Add(uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? 6379 : uri.Port);
        if (uri.UserInfo.Length > 0) options.Password = Uri.UnescapeDataString(uri.UserInfo.Split(':', 2)[^1]);
        return options;
    }

    private static async Task<ConnectionMultiplexer> ConnectAsync(string url) => await ConnectionMultiplexer.ConnectAsync(ParseUrl(url));

    public void Dispose()
    {
        foreach (var c in _connections.Values)
            if (c.IsValueCreated && c.Value.IsCompletedSuccessfully) c.Value.Result.Dispose();
    }
}
