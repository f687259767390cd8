using Microsoft.Extensions.Logging;

namespace AgentOps.Testing;

/// <summary>A logger that keeps every entry (level, message, exception) for tests that check what was logged and how.</summary>
public sealed class ListLogger : ILogger, ILoggerProvider, ILoggerFactory
{
    public sealed record Entry(LogLevel Level, EventId Id, string Message, Exception? Exception);

    private readonly List<Entry> _entries = [];

    public IReadOnlyList<Entry> Entries { get { lock (_entries) return _entries.ToList(); } }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries) _entries.Add(new Entry(logLevel, eventId, formatter(state, exception), exception));
    }

    public ILogger CreateLogger(string categoryName) => this;
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }
}
