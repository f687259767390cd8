// agentops-gateway: gRPC ingest of trajectories (TrajectoryIngest) into the run's Redis stream (DESIGN.md, "Components").
return await AgentOps.Gateway.GatewayCommand.RunAsync(args);
