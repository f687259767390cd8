// agentops: the control plane. `agentops run FILE` (local), `agentops eval FILE --checkpoint DIR`,
// `agentops operator` (Kubernetes).
using System.CommandLine;
using System.Runtime.InteropServices;
using AgentOps.Operator.Cli;

var root = new RootCommand("AgentOps: train LLM agents with RL from a TrainingRun manifest, locally or on Kubernetes.")
{
    RunCommand.Create(),
    EvalCommand.Create(),
    ReportCommand.Create(),
    OperatorCliCommand.Create(),
};

// Ctrl-C and SIGTERM cancel the command's token; the command then stops its children in order (trainer
// first, so it checkpoints). System.CommandLine's own handler would force-exit after a timeout, so it is off.
using var cts = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    cts.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
var parsed = root.Parse(args);
// A bad flag or value is a usage error: exit 2 (like a bad manifest) with the parser's message, which names it.
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine($"error: {error.Message}");
    Console.Error.WriteLine("see: agentops --help");
    return 2;
}
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, cts.Token);
