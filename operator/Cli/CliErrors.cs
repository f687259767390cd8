using AgentOps.Operator.Local;
using Microsoft.Extensions.Logging;

namespace AgentOps.Operator.Cli;

/// <summary>How a bad manifest is reported: one line per error with the field path and the value, exit 2.</summary>
public static class CliErrors
{
    public static int Invalid(ManifestInvalidException e, TextWriter error)
    {
        error.WriteLine($"error: {e.ManifestPath} is not a valid TrainingRun:");
        foreach (var line in e.Errors) error.WriteLine($"  {line}");
        return LocalRunner.ExitInvalid;
    }

    public static ILoggerFactory Loggers() =>
        LoggerFactory.Create(b => b
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
            .SetMinimumLevel(LogLevel.Warning));
}
