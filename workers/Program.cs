// agentops-workers (DESIGN.md, "Components"):
//   agentops-workers executor ...   the agent loop in a sandbox, streaming trajectories to a gateway
// The gateway is its own binary, agentops-gateway (gateway/), so that this one carries no queue and no Redis.
var role = args.Length > 0 ? args[0] : "";
var rest = args.Skip(1).ToArray();
switch (role)
{
    case "executor":
        return await AgentOps.Workers.Executor.ExecutorCommand.RunAsync(rest);
    default:
        Console.Error.WriteLine("usage: agentops-workers executor [options] (the gateway is agentops-gateway)");
        return 2;
}
