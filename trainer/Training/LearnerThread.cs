using System.Collections.Concurrent;

namespace AgentOps.Trainer.Training;

/// <summary>
/// One long-lived thread for every learner step and checkpoint. libtorch's OpenMP team and glibc's malloc arena
/// belong to the calling thread: steps hopping across thread-pool threads (Task.Run) grew a team and 64 MiB arenas
/// per thread — measured on `make run`: 5.3 GB RSS in 90 arenas after 200 SFT steps of the tiny preset — and left
/// OpenBLAS threads of idle teams yielding next to the busy one.
/// </summary>
public sealed class LearnerThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;

    public LearnerThread(string name = "learner")
    {
        _thread = new Thread(() =>
        {
            foreach (var item in _work.GetConsumingEnumerable()) item();
        }) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Work queued behind what runs now (a generation running on this thread should wind down for it).</summary>
    public int Queued => _work.Count;

    /// <summary>Runs <paramref name="work"/> on the learner thread, after what was queued before it.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try { done.SetResult(work()); }
            catch (Exception e) { done.SetException(e); }
        });
        return done.Task;
    }

    /// <summary>Runs <paramref name="work"/> on the learner thread and waits for it (e.g. a checkpoint on the way out).</summary>
    public void Run(Action work) => RunAsync(() => { work(); return true; }).GetAwaiter().GetResult();

    public void Dispose()
    {
        _work.CompleteAdding();
        _thread.Join();
        _work.Dispose();
    }
}
