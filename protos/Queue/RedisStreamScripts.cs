namespace AgentOps.Protos.Queue;

/// <summary>Lua run by Redis atomically (EVAL), so the idempotency check and the append cannot be separated.</summary>
internal static class RedisStreamScripts
{
    /// <summary>
    /// KEYS[1] stream, KEYS[2] id key; ARGV[1] payload, ARGV[2] MAXLEN, ARGV[3] id TTL in seconds, ARGV[4] trajectory id.
    /// Returns {1, entryId} when appended, {0, entryId} when the id was stored before.
    /// </summary>
    public const string Append = """
        local seen = redis.call('GET', KEYS[2])
        if seen then return {0, seen} end
        local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'id', ARGV[4], 'p', ARGV[1])
        redis.call('SET', KEYS[2], id, 'EX', ARGV[3])
        return {1, id}
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
