using AgentOps.Telemetry;
using AgentOps.Protos.V1;
using AgentOps.Trainer.Serving;

namespace AgentOps.Trainer.Tests.Serving;

public class GenerateBatcherTests
{
    private static GenerateRequest Request(int token) => new() { PromptTokenIds = { token }, MaxNewTokens = 1 };

    [Fact]
    public async Task Concurrent_requests_inside_the_window_share_one_batch()
    {
        var sizes = new List<int>();
        using var gate = new PolicyVersionGate(7);
        await using var batcher = new GenerateBatcher(reqs =>
        {
            lock (sizes) sizes.Add(reqs.Count);
            return reqs.Select(r => new GenerateResponse { TokenIds = { r.PromptTokenIds[0] + 1 } }).ToList();
        }, gate, TimeSpan.FromMilliseconds(500), maxBatch: 8);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => batcher.GenerateAsync(Request(i))));

        Assert.Equal(Enumerable.Range(1, 8), responses.Select(r => r.TokenIds[0]));
        Assert.All(responses, r => Assert.Equal(7, r.PolicyVersion));
        // The batch is full at 8, so it runs before the 500 ms window ends, as one generation.
        Assert.Equal(new[] { 8 }, sizes);
        Assert.Equal(1, batcher.Batches);
    }

    [Fact]
    public async Task Batches_export_their_size_duration_queue_time_and_generated_tokens()
    {
        using var gate = new PolicyVersionGate(0);
        await using var batcher = new GenerateBatcher(reqs =>
        {
            Thread.Sleep(50);
            return reqs.Select(r => new GenerateResponse { TokenIds = { 1, 2, 3 } }).ToList();
        }, gate, TimeSpan.FromMilliseconds(500), maxBatch: 4);
        using var collector = new MetricsCollector(m => ReferenceEquals(m, batcher.Meter));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => batcher.GenerateAsync(Request(i))));
        await batcher.GenerateAsync(Request(9)); // a batch of one, after the window
        // A batch's size and duration are recorded when it ends, just after its last answer went out.
        var until = DateTime.UtcNow.AddSeconds(30);
        while (batcher.RecentBatchSizes.Count < 2 && DateTime.UtcNow < until) await Task.Delay(10);

        var text = collector.Collect();
        Assert.Contains("agentops_policy_generate_batch_size_bucket{le=\"1\"} 1\n", text);
        Assert.Contains("agentops_policy_generate_batch_size_bucket{le=\"4\"} 2\n", text);
        Assert.Contains("agentops_policy_generate_batch_size_sum 5\n", text);
        Assert.Contains("agentops_policy_generate_queue_duration_seconds_count 5\n", text);
        Assert.Contains("agentops_policy_generate_batch_duration_seconds_count 2\n", text);
        Assert.Contains("agentops_policy_generated_tokens_total 15\n", text);
        Assert.Contains("agentops_policy_generate_requests_waiting 0\n", text);
        // Each batch slept 50 ms inside the generation.
        var sum = text.Split('\n').Single(l => l.StartsWith("agentops_policy_generate_batch_duration_seconds_sum ")).Split(' ')[1];
        Assert.InRange(double.Parse(sum, System.Globalization.CultureInfo.InvariantCulture), 0.1, 60);
    }

    [Fact]
    public async Task A_response_never_mixes_two_versions_of_the_weights()
    {
        // "Weights" are an array every element of which equals the version; an update rewrites them one by one.
        var weights = new long[64];
        using var gate = new PolicyVersionGate(0);
        await using var batcher = new GenerateBatcher(reqs => reqs.Select(_ =>
        {
            var r = new GenerateResponse();
            foreach (var w in weights)
            {
                r.TokenIds.Add((int)w);
                Thread.SpinWait(50);
            }
            return r;
        }).ToList(), gate, TimeSpan.FromMilliseconds(2), maxBatch: 4);

        using var stop = new CancellationTokenSource();
        // Its own thread, so updates interleave with serving however busy the thread pool is.
        var updater = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                gate.Update(() =>
                {
                    for (var i = 0; i < weights.Length; i++)
                    {
                        weights[i]++;
                        Thread.SpinWait(50);
                    }
                });
                Thread.Sleep(1);
            }
        }, TaskCreationOptions.LongRunning);
        // 25 requests per client, and on until responses of two versions came back (at most 5,000), so updates did happen while serving.
        var versions = new HashSet<long>();
        var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var seen = new List<GenerateResponse>();
            for (var i = 0; i < 5_000; i++)
            {
                bool both;
                lock (versions) both = versions.Count > 1;
                if (i >= 25 && both) break;
                var r = await batcher.GenerateAsync(Request(0));
                lock (versions) versions.Add(r.PolicyVersion);
                seen.Add(r);
            }
            return seen;
        })).ToArray();
        var all = (await Task.WhenAll(clients)).SelectMany(x => x).ToList();
        stop.Cancel();
        await updater;

        Assert.InRange(all.Count, 100, 20_000);
        Assert.All(all, r => Assert.All(r.TokenIds, t => Assert.Equal(r.PolicyVersion, t)));
        Assert.True(all.Select(r => r.PolicyVersion).Distinct().Count() > 1, "updates happened while serving");
    }

    [Fact]
    public async Task A_failing_generation_fails_every_request_of_its_batch_and_the_next_batch_still_runs()
    {
        using var gate = new PolicyVersionGate(1);
        var calls = 0;
        await using var batcher = new GenerateBatcher(reqs =>
        {
            if (Interlocked.Increment(ref calls) == 1) throw new InvalidOperationException("prompt_token_ids: longer than the context (512), got 600");
            return reqs.Select(_ => new GenerateResponse()).ToList();
        }, gate, TimeSpan.FromMilliseconds(1), maxBatch: 4);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.GenerateAsync(Request(1)));
        Assert.Contains("prompt_token_ids", e.Message);
        var ok = await batcher.GenerateAsync(Request(1));
        Assert.Equal(1, ok.PolicyVersion);
    }

    [Fact]
    public async Task Requests_arriving_during_a_session_join_it_unless_the_session_winds_down_for_an_update()
    {
        // A fake session: every row ends 20 steps after it joined; between steps it asks for more.
        using var gate = new PolicyVersionGate(3);
        var windDown = false;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var batcher = new GenerateBatcher((first, more, done) =>
        {
            var rows = first.Select((r, i) => (Index: i, Request: r, Left: 20)).ToList();
            var next = first.Count;
            started.TrySetResult();
            while (rows.Count > 0)
            {
                Thread.Sleep(5);
                foreach (var r in more(rows.Count, _ => true)) rows.Add((next++, r, 20));
                rows = rows.Select(r => r with { Left = r.Left - 1 }).ToList();
                foreach (var r in rows.Where(r => r.Left == 0)) done(r.Index, new GenerateResponse { TokenIds = { r.Request.PromptTokenIds[0] } });
                rows.RemoveAll(r => r.Left == 0);
            }
        }, gate, TimeSpan.FromMilliseconds(1), maxBatch: 8, windDown: () => Volatile.Read(ref windDown));

        var a = batcher.GenerateAsync(Request(1));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var b = batcher.GenerateAsync(Request(2));
        Assert.Equal([1, 2], (await Task.WhenAll(a, b).WaitAsync(TimeSpan.FromSeconds(30))).Select(r => r.TokenIds[0]));
        Assert.Equal(1, batcher.Batches); // b joined a's session
        Assert.All(await Task.WhenAll(a, b), r => Assert.Equal(3, r.PolicyVersion));

        started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var c = batcher.GenerateAsync(Request(3));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Volatile.Write(ref windDown, true);
        var d = batcher.GenerateAsync(Request(4));
        Assert.Equal(3, (await c.WaitAsync(TimeSpan.FromSeconds(30))).TokenIds[0]);
        Volatile.Write(ref windDown, false);
        Assert.Equal(4, (await d.WaitAsync(TimeSpan.FromSeconds(30))).TokenIds[0]);
        Assert.Equal(3, batcher.Batches); // d waited for a session of its own
    }
}
