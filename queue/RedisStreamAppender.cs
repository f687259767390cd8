using StackExchange.Redis;

namespace AgentOps.Queue;

/// <summary>
/// Idempotent appends to the run's stream: an id key <c>agentops:{run}:ids:ID</c> (value 1, TTL
/// <see cref="RedisQueueOptions.IdempotencyTtl"/>) marks a trajectory stored, and the entry and its key are written
/// atomically, so every id is in the stream once however often clients retry. Two ways, by payload size:
/// <list type="bullet">
/// <item>up to <see cref="RedisQueueOptions.ScriptAppendMaxBytes"/>: one Lua script per part checks, XADDs and marks
/// each trajectory (<see cref="RedisStreamScripts.AppendBatch"/>): one client message for many trajectories;</item>
/// <item>bigger: one MGET answers ids stored before, then per part MULTI, a plain XADD per trajectory,
/// <see cref="RedisStreamScripts.CommitAppends"/> (marks them, and removes the entry of an id a concurrent append stored
/// after the MGET), EXEC. No Lua string is made of the payload, which Redis's Lua copies and hashes byte by byte.</item>
/// </list>
/// A batch is cut into parts of at most <see cref="RedisQueueOptions.MaxAppendBatch"/> trajectories, in order, sent together (the multiplexer pipelines them
/// and Redis runs them in that order). A repeated id within the batch is a Duplicate of its first occurrence.
/// </summary>
internal sealed class RedisStreamAppender(RedisCommandRunner commands, RedisQueueOptions options)
{
    private readonly string _stream = options.StreamKey;

    public async Task<IReadOnlyList<AppendOutcome>> AppendAsync(IReadOnlyList<SerializedTrajectory> trajectories, CancellationToken cancellationToken)
    {
        var outcomes = new AppendOutcome[trajectories.Count];
        if (trajectories.Count == 0) return outcomes;
        var fresh = new List<int>(trajectories.Count);
        var inBatch = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < trajectories.Count; i++)
        {
            if (inBatch.Add(trajectories[i].TrajectoryId)) fresh.Add(i);
            else outcomes[i] = AppendOutcome.Duplicate;
        }
        fresh = await WithoutStoredLargeAsync(trajectories, fresh, outcomes, cancellationToken).ConfigureAwait(false);
        var parts = Parts(trajectories, fresh);
        var results = await Task.WhenAll(parts.Select(p => p.Script
            ? AppendByScriptAsync(trajectories, fresh, p.Start, p.Count, cancellationToken)
            : AppendByTransactionAsync(trajectories, fresh, p.Start, p.Count, cancellationToken))).ConfigureAwait(false);
        for (var p = 0; p < parts.Count; p++)
            for (var j = 0; j < parts[p].Count; j++)
                outcomes[fresh[parts[p].Start + j]] = (long)results[p][j] == 1 ? AppendOutcome.Appended : AppendOutcome.Duplicate;
        return outcomes;
    }

    private bool ByScript(SerializedTrajectory trajectory) => trajectory.Bytes.Length <= options.ScriptAppendMaxBytes;

    /// <summary>One MGET of the large trajectories' id keys: those stored before (a client's retry) are Duplicates whose
    /// payloads never go to Redis. Small ones are checked by their script.</summary>
    private async Task<List<int>> WithoutStoredLargeAsync(IReadOnlyList<SerializedTrajectory> trajectories, List<int> fresh, AppendOutcome[] outcomes, CancellationToken cancellationToken)
    {
        var large = fresh.Where(i => !ByScript(trajectories[i])).ToList();
        if (large.Count == 0) return fresh;
        var keys = large.Select(i => (RedisKey)options.IdKey(trajectories[i].TrajectoryId)).ToArray();
        var stored = await commands.Run($"check {Describe(trajectories, large[0], large.Count)} for ids stored before",
            db => db.StringGetAsync(keys), cancellationToken).ConfigureAwait(false);
        var known = new HashSet<int>();
        for (var k = 0; k < large.Count; k++)
        {
            if (stored[k].IsNull) continue;
            known.Add(large[k]);
            outcomes[large[k]] = AppendOutcome.Duplicate;
        }
        return known.Count == 0 ? fresh : fresh.Where(i => !known.Contains(i)).ToList();
    }

    /// <summary>Consecutive runs of <paramref name="fresh"/> that go the same way, within the part limits.</summary>
    private List<(int Start, int Count, bool Script)> Parts(IReadOnlyList<SerializedTrajectory> trajectories, List<int> fresh)
    {
        var parts = new List<(int Start, int Count, bool Script)>();
        if (fresh.Count == 0) return parts;
        var start = 0;
        var script = ByScript(trajectories[fresh[0]]);
        for (var f = 0; f < fresh.Count; f++)
        {
            var t = trajectories[fresh[f]];
            var count = f - start;
            if (count > 0 && (count == options.MaxAppendBatch || ByScript(t) != script))
            {
                parts.Add((start, count, script));
                start = f;
                script = ByScript(t);
            }
        }
        parts.Add((start, fresh.Count - start, script));
        return parts;
    }

    private async Task<RedisResult[]> AppendByScriptAsync(IReadOnlyList<SerializedTrajectory> trajectories, List<int> fresh, int start, int count, CancellationToken cancellationToken)
    {
        var keys = new RedisKey[count + 1];
        var args = new RedisValue[2 + 2 * count];
        keys[0] = _stream;
        args[0] = options.MaxLength;
        args[1] = TtlSeconds;
        for (var j = 0; j < count; j++)
        {
            var t = trajectories[fresh[start + j]];
            keys[j + 1] = options.IdKey(t.TrajectoryId);
            args[2 + 2 * j] = t.TrajectoryId;
            args[3 + 2 * j] = t.Bytes;
        }
        var result = await commands.Run(Describe(trajectories, fresh[start], count, "append "),
            db => db.ScriptEvaluateAsync(RedisStreamScripts.AppendBatch, keys, args), cancellationToken).ConfigureAwait(false);
        return (RedisResult[])result!;
    }

    private async Task<RedisResult[]> AppendByTransactionAsync(IReadOnlyList<SerializedTrajectory> trajectories, List<int> fresh, int start, int count, CancellationToken cancellationToken)
    {
        // EVAL with the script's text (Redis caches it by SHA1), not EVALSHA: inside MULTI a NOSCRIPT (a restarted
        // Redis) would fail the commit after the XADDs already ran.
        var commit = new object[4 + 2 * count];
        commit[0] = RedisStreamScripts.CommitAppends;
        commit[1] = count + 1;
        commit[2] = _stream;
        commit[3 + count] = TtlSeconds;
        for (var j = 0; j < count; j++)
        {
            var id = trajectories[fresh[start + j]].TrajectoryId;
            commit[3 + j] = options.IdKey(id);
            commit[4 + count + j] = id;
        }
        var result = await commands.Run(Describe(trajectories, fresh[start], count, "append "), async db =>
        {
            var transaction = db.CreateTransaction();
            var adds = new Task<RedisValue>[count];
            for (var j = 0; j < count; j++)
            {
                var t = trajectories[fresh[start + j]];
                adds[j] = transaction.StreamAddAsync(_stream, [new NameValueEntry("id", t.TrajectoryId), new NameValueEntry("p", t.Bytes)],
                    maxLength: options.MaxLength, useApproximateMaxLength: true);
            }
            // Raw EVAL: ScriptEvaluateAsync may send EVALSHA, and inside MULTI a NOSCRIPT would fail after the XADDs ran.
            var committed = transaction.ExecuteAsync("EVAL", commit);
            var executed = transaction.ExecuteAsync();
            // Awaits every command of the transaction, so a failure of any is seen (and none is left unobserved).
            await Task.WhenAll([executed, committed, .. adds]).ConfigureAwait(false);
            return committed.Result;
        }, cancellationToken).ConfigureAwait(false);
        return (RedisResult[])result!;
    }

    private long TtlSeconds => (long)Math.Ceiling(options.IdempotencyTtl.TotalSeconds);

    private static string Describe(IReadOnlyList<SerializedTrajectory> trajectories, int first, int count, string verb = "") =>
        count == 1 ? $"{verb}trajectory \"{trajectories[first].TrajectoryId}\"" : $"{verb}{count} trajectories (\"{trajectories[first].TrajectoryId}\" first)";
}
