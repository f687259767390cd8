using AgentOps.Protos.V1;
using AgentOps.Workers.Environments;
using AgentOps.Workers.Export;

namespace AgentOps.Workers.Executor;

/// <summary>Passes every trajectory on, and appends the ones the filter keeps to an SFT JSONL file (`--sft-export`, `--export-dir`).</summary>
public sealed class ExportingSink(ITrajectorySink inner, TrajectoryFilter filter, string path) : ITrajectorySink
{
    private readonly StreamWriter _writer = Open(path);
    private readonly SemaphoreSlim _lock = new(1, 1);

    public int Kept { get; private set; }

    public async Task WriteAsync(Trajectory trajectory, EnvTask task, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(trajectory, task, cancellationToken);
        if (filter.Reject(trajectory) is not null) return;
        await _lock.WaitAsync(cancellationToken);
        try
        {
            await _writer.WriteLineAsync(SftJsonlExporter.ToJsonLine(trajectory));
            await _writer.FlushAsync(cancellationToken);
            Kept++;
        }
        finally { _lock.Release(); }
    }

    private static StreamWriter Open(string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        return new StreamWriter(path, append: true);
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        _lock.Dispose();
        await inner.DisposeAsync();
    }
}
