namespace AgentOps.Queue;

/// <summary>Lua run by Redis atomically.</summary>
internal static class RedisStreamScripts
{
    /// <summary>
    /// Appends small trajectories: KEYS[1] stream, KEYS[2..n+1] the id keys of n trajectories; ARGV[1] MAXLEN, ARGV[2]
    /// id TTL in seconds, then per trajectory its id and payload. For each in order: skip it when its id key exists,
    /// else XADD MAXLEN ~ and SET the id key EX. Returns one 1 (appended) or 0 (stored before) per trajectory. One
    /// script for a whole part: the per-command cost of the client (StackExchange.Redis 1.2.6) is paid once, not n
    /// times; the price is that Redis's Lua copies and hashes each payload (see <see cref="CommitAppends"/>).
    /// </summary>
    public const string AppendBatch = """
        local out = {}
        for i = 2, #KEYS do
          local a = 2 * i - 1
          if redis.call('EXISTS', KEYS[i]) == 1 then
            out[i - 1] = 0
          else
            redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'id', ARGV[a], 'p', ARGV[a + 1])
            redis.call('SET', KEYS[i], '1', 'EX', ARGV[2])
            out[i - 1] = 1
          end
        end
        return out
        """;

    /// <summary>
    /// The last command of an append transaction (MULTI, one <c>XADD stream MAXLEN ~ N * id ID p PAYLOAD</c> per
    /// trajectory, this script, EXEC), so the payloads never pass through Lua: Redis's Lua copies and hashes every byte
    /// of a string argument, which was 35% of redis-server's CPU per 64 KiB trajectory when the script did the XADDs.
    /// KEYS[1] stream, KEYS[2..n+1] the id keys of the n trajectories the transaction added, in order; ARGV[1] id TTL in
    /// seconds, ARGV[2..n+1] their ids. Returns one 1 (appended) or 0 (stored before, entry removed) per trajectory.
    /// <para>For each: SET its id key NX EX. When the key was there (another append of the same id ran between this
    /// one's check and its EXEC), the entry this transaction added for it is deleted, so the stream holds each id once
    /// and no reader ever saw the second (MULTI/EXEC is atomic). The transaction's n entries are the stream's newest
    /// (MAXLEN ~ trims the oldest first): the i-th is the (n - i + 1)-th from the end, or trimmed already; its "id" field
    /// is checked before the XDEL, the only XDEL on the stream.</para>
    /// <para>After deleting, XSETID takes the deleted entries out of the stream's entries-added count and sets its
    /// max-deleted-entry-id to 0-1, below every real id (XSETID ignores 0-0). Otherwise Redis 7 answers the group's lag
    /// as nil until a reader passes the deleted id, which an idle run never does, and the gateway's backlog gate would
    /// take the whole stream length for backlog.</para>
    /// <para>Sent as EVAL with its text (Redis caches it by SHA1), never EVALSHA: inside MULTI a NOSCRIPT (a restarted
    /// Redis) would fail this script after the XADDs already ran.</para>
    /// </summary>
    public const string CommitAppends = """
        local n = #KEYS - 1
        local out = {}
        local duplicates = 0
        for i = 1, n do
          if redis.call('SET', KEYS[i + 1], '1', 'NX', 'EX', ARGV[1]) then
            out[i] = 1
          else
            out[i] = 0
            duplicates = duplicates + 1
          end
        end
        if duplicates > 0 then
          local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', n)
          local deleted = 0
          for i = 1, n do
            local entry = newest[n - i + 1]
            if out[i] == 0 and entry then
              local fields = entry[2]
              if fields[1] ~= 'id' or fields[2] ~= ARGV[i + 1] then
                return redis.error_reply('ERR agentops append: entry ' .. entry[1] .. ' is not the one added for trajectory ' .. ARGV[i + 1])
              end
              deleted = deleted + redis.call('XDEL', KEYS[1], entry[1])
            end
          end
          if deleted > 0 then
            local info = redis.call('XINFO', 'STREAM', KEYS[1])
            local added
            for j = 1, #info, 2 do
              if info[j] == 'entries-added' then added = info[j + 1] end
            end
            redis.call('XSETID', KEYS[1], newest[1][1], 'ENTRIESADDED', added - deleted, 'MAXDELETEDID', '0-1')
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
