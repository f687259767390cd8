using System.Globalization;
using StackExchange.Redis;

namespace AgentOps.Queue;

/// <summary>
/// Runs one command (or pipelined group) of the run's stream with <see cref="RedisQueueOptions.CommandTimeout"/>:
/// timeouts, lost connections and a Redis still LOADING its data surface as <see cref="QueueUnavailableException"/>
/// naming what was attempted, the endpoint and the stream.
/// </summary>
internal sealed class RedisCommandRunner(ConnectionMultiplexer redis, RedisQueueOptions options)
{
    public async Task<T> Run<T>(string what, Func<IDatabase, Task<T>> command, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var db = redis.GetDatabase();
        try
        {
            return await command(db).WaitAsync(options.CommandTimeout, options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw Unavailable(what, $"no answer within {options.CommandTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s", e);
        }
        catch (RedisConnectionException e)
        {
            throw Unavailable(what, e.Message, e);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("LOADING", StringComparison.Ordinal))
        {
            throw Unavailable(what, e.Message, e);
        }
    }

    private QueueUnavailableException Unavailable(string what, string why, Exception inner) =>
        new($"redis {string.Join(",", redis.GetEndPoints().Select(e => e.ToString()))}: {what} on stream {options.StreamKey} failed: {why}; retry (appends are idempotent by trajectory id)", inner);
}
