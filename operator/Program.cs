// agentops: the control plane. `agentops run FILE` (local), `agentops operator` (Kubernetes), `agentops eval`.
Console.Error.WriteLine("usage: agentops <run|operator|eval> ...");
return 2;
