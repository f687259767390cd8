using System.CommandLine;

namespace AgentOps.Operator.Cli;

/// <summary>`agentops operator`: wired to team operator's OperatorCommand.RunAsync once it lands.</summary>
public static class OperatorCommandStub
{
    public static Command Create()
    {
        var command = new Command("operator", "Reconcile TrainingRun and SandboxPool objects on Kubernetes");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("error: `agentops operator` is not wired in this build yet (OperatorCommand.RunAsync has not landed); use `agentops run FILE` locally");
            return 2;
        });
        return command;
    }
}
