// agentops-workers: one image, two roles (DESIGN.md, "Components").
//   agentops-workers executor ...   the agent loop in a sandbox, streaming trajectories to a gateway
//   agentops-workers gateway ...    gRPC ingest of trajectories into the run's Redis stream
var role = args.Length > 0 ? args[0] : "";
var rest = args.Skip(1).ToArray();
switch (role)
{
    case "executor":
        return await AgentOps.Workers.Executor.ExecutorCommand.RunAsync(rest);
    case "gateway":
        return await AgentOps.Workers.Gateway.GatewayCommand.RunAsync(rest);
    default:
        Console.Error.WriteLine("usage: agentops-workers <executor|gateway> [options]");
        return 2;
}
