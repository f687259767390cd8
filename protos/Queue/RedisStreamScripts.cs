namespace AgentOps.Protos.Queue;

/// <summary>Lua run by Redis atomically (StackExchange.Redis sends EVALSHA once the script is loaded), so the idempotency check and the append cannot be separated.</summary>
internal static class RedisStreamScripts
{
    /// <summary>
    /// KEYS[1] stream, KEYS[2..n+1] the id keys of n trajectories; ARGV[1] MAXLEN, ARGV[2] id TTL in seconds, then per
    /// trajectory its id and payload. For each in order: skip it when its id key exists, else XADD MAXLEN ~ and SET the
    /// id key to the entry id with EX. Returns one 1 (appended) or 0 (stored before) per trajectory. One script for a
    /// whole batch: the per-command cost of the client (StackExchange.Redis 1.2.6) is paid once, not n times.
    /// </summary>
    public const string AppendBatch = """
        local out = {}
        for i = 2, #KEYS do
          local a = 2 * i - 1
          if redis.call('EXISTS', KEYS[i]) == 1 then
            out[i - 1] = 0
          else
            local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'id', ARGV[a], 'p', ARGV[a + 1])
            redis.call('SET', KEYS[i], id, 'EX', ARGV[2])
            out[i - 1] = 1
          end
        end
        return out
        """;

    /// <summary>
    /// KEYS[1] stream, KEYS[2] dead stream; ARGV[1] group, ARGV[2] MAXLEN, then per entry four values: entry id,
    /// trajectory id, reason, payload. XACK first and XADD to the dead stream only when the ack removed a pending
    /// entry, so a retried call (after a timeout) does not write a second dead letter. Returns how many moved.
    /// </summary>
    public const string DeadLetter = """
        local moved = 0
        for i = 3, #ARGV, 4 do
          if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'entry', ARGV[i], 'id', ARGV[i + 1], 'reason', ARGV[i + 2], 'p', ARGV[i + 3])
            moved = moved + 1
          end
        end
        return moved
        """;
}
