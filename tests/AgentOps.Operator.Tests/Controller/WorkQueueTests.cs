using AgentOps.Operator.Controller;
using AgentOps.Operator.Kube;
using AgentOps.Testing.Kube;

namespace AgentOps.Operator.Tests.Controller;

public class WorkQueueTests
{
    private static readonly ObjectKey A = new("ns", "a"), B = new("ns", "b");

    [Fact]
    public async Task AKeyQueuedTwice_IsHandedOutOnce()
    {
        using var q = new WorkQueue<ObjectKey>("t", RateLimiters.DefaultController<ObjectKey>(TimeProvider.System), TimeProvider.System);
        q.Add(A); q.Add(A); q.Add(B);
        Assert.Equal(2, q.Count);
        Assert.Equal(A, await q.GetAsync(default));
        Assert.Equal(B, await q.GetAsync(default));
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public async Task AKeyBeingProcessed_IsNotHandedToASecondWorker_ButRequeuedOnDone()
    {
        using var q = new WorkQueue<ObjectKey>("t", RateLimiters.DefaultController<ObjectKey>(TimeProvider.System), TimeProvider.System);
        q.Add(A);
        var first = await q.GetAsync(default);
        q.Add(A); // changed while a worker holds it
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        Assert.Equal(default, await q.GetAsync(cts.Token)); // nobody else gets it meanwhile
        q.Done(first);
        Assert.Equal(A, await q.GetAsync(default));
    }

    [Fact]
    public void ExponentialLimiter_DoublesFrom5msTo1000s_AndForgets()
    {
        var l = new ItemExponentialFailureRateLimiter<ObjectKey>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000));
        Assert.Equal([5, 10, 20, 40], Enumerable.Range(0, 4).Select(_ => l.When(A).TotalMilliseconds));
        for (var i = 0; i < 30; i++) l.When(A);
        Assert.Equal(TimeSpan.FromSeconds(1000), l.When(A));
        Assert.Equal(TimeSpan.FromMilliseconds(5), l.When(B)); // per key
        l.Forget(A);
        Assert.Equal(TimeSpan.FromMilliseconds(5), l.When(A));
    }

    [Fact]
    public void BucketLimiter_Allows100Burst_Then10PerSecond()
    {
        var clock = new ManualTimeProvider();
        var l = new BucketRateLimiter<ObjectKey>(10, 100, clock);
        for (var i = 0; i < 100; i++) Assert.Equal(TimeSpan.Zero, l.When(A));
        Assert.Equal(TimeSpan.FromMilliseconds(100), l.When(A));
        Assert.Equal(TimeSpan.FromMilliseconds(200), l.When(A));
        clock.Advance(TimeSpan.FromSeconds(1)); // 10 tokens back, 2 already promised
        Assert.Equal(TimeSpan.Zero, l.When(A));
    }

    [Fact]
    public async Task AddRateLimited_WaitsOnTheInjectedClock()
    {
        var clock = new ManualTimeProvider();
        using var q = new WorkQueue<ObjectKey>("t", new ItemExponentialFailureRateLimiter<ObjectKey>(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)), clock);
        q.AddRateLimited(A); // 1 s
        q.AddRateLimited(A); // 2 s (a second failure)
        Assert.Equal(0, q.Count);
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(0, q.Count);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, q.Count);
        Assert.Equal(A, await q.GetAsync(default));
        Assert.Equal(2, q.NumRequeues(A));
    }

    [Fact]
    public async Task AddAfter_ForAKeyAlreadyWaiting_KeepsOneTimer_DueAtTheEarlierTime()
    {
        // client-go's delaying queue: ten requeues of one key are one pending add, not ten (issue 20, bug 2).
        var clock = new ManualTimeProvider();
        using var q = new WorkQueue<ObjectKey>("t", RateLimiters.DefaultController<ObjectKey>(clock), clock);
        for (var i = 0; i < 10; i++) q.AddAfter(A, TimeSpan.FromSeconds(10));
        q.AddAfter(A, TimeSpan.FromSeconds(3)); // earlier: moves the one timer forward
        q.AddAfter(A, TimeSpan.FromSeconds(30)); // later: ignored
        Assert.Equal(1, q.Waiting);
        Assert.Equal(1, clock.PendingTimers);
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(1, q.Count);
        Assert.Equal(0, q.Waiting);
        Assert.Equal(A, await q.GetAsync(default));
        q.Done(A);
        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(0, q.Count); // nothing else was left behind
    }
}
