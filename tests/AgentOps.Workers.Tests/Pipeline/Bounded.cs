namespace AgentOps.Workers.Tests.Pipeline;

/// <summary>
/// Every await of the pipeline tests runs under a limit, so a hang fails with a TimeoutException at the await that
/// hung instead of stalling the whole test run (a clean-clone CI run once sat more than 5 minutes in this class).
/// </summary>
internal static class Bounded
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static Task Within(this ValueTask task) => task.AsTask().WaitAsync(Limit);
    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Limit);
    public static Task Within(this Task task) => task.WaitAsync(Limit);

    /// <summary>For <c>await using</c>: disposes <paramref name="inner"/> within the limit.</summary>
    public static IAsyncDisposable DisposedWithin(this IAsyncDisposable inner) => new Disposal(inner);

    private sealed class Disposal(IAsyncDisposable inner) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => new(inner.DisposeAsync().AsTask().WaitAsync(Limit));
    }
}
