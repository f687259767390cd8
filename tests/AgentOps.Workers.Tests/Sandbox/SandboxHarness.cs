using AgentOps.Workers.Sandbox;
using Microsoft.Extensions.Logging;

namespace AgentOps.Workers.Tests.Sandbox;

/// <summary>A real sandbox factory (real runsc or real processes) over a private state folder, with the
/// log lines kept so tests can check what the runtime said.</summary>
public sealed class SandboxHarness : IAsyncDisposable
{
    public SandboxHarness(string runtime, SandboxLimits? limits = null, string? toolsDir = null, bool allowFallback = false, string runsc = "runsc")
    {
        StateDir = Directory.CreateTempSubdirectory("agentops-sbx-test-").FullName;
        Logs = new ListLoggerProvider();
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        Metrics = new SandboxMetrics();
        Options = new SandboxOptions(Runtime: runtime, AllowFallback: allowFallback, Limits: limits ?? DefaultLimits,
            ToolsDir: toolsDir, StateDir: StateDir, RunscPath: runsc, StartTimeoutSeconds: 60);
        try
        {
            Factory = SandboxFactory.Create(Options, LoggerFactory, Metrics);
        }
        catch
        {
            Directory.Delete(StateDir, recursive: true);
            throw;
        }
    }

    /// <summary>Generous wall limits: the box is a loaded 2-core machine shared by eight builds.</summary>
    public static SandboxLimits DefaultLimits { get; } = new(MemoryMiB: 256, Pids: 64, CellTimeoutSeconds: 20,
        EpisodeTimeoutSeconds: 300, OutputBytes: 65536, WorkspaceMiB: 16);

    public string StateDir { get; }
    public ListLoggerProvider Logs { get; }
    public ILoggerFactory LoggerFactory { get; }
    public SandboxMetrics Metrics { get; }
    public SandboxOptions Options { get; }
    public SandboxFactory Factory { get; }

    public Task<PythonSandbox> StartAsync() => Factory.StartAsync();

    public ValueTask DisposeAsync()
    {
        LoggerFactory.Dispose();
        Metrics.Dispose();
        try { Directory.Delete(StateDir, recursive: true); }
        catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}

public sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToList(); } }

    public ILogger CreateLogger(string categoryName) => new ListLogger(this);

    public void Dispose() { }

    private sealed class ListLogger(ListLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._lines) owner._lines.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }
}

/// <summary>Sandbox test classes run one after another: gVisor on the ptrace platform is CPU-hungry and
/// this box has 2 cores, so running them in parallel only turns cell time limits into flaky failures.</summary>
[CollectionDefinition(Name)]
public sealed class SandboxCollection
{
    public const string Name = "sandbox";
}
