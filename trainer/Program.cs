// agentops-trainer: consumes trajectories, updates the policy, serves Policy.Generate.
Console.Error.WriteLine("usage: agentops-trainer [options]");
return 2;
