namespace AgentOps.Operator.Local;

/// <summary>Prints what `agentops run` will do before it does it.</summary>
public static class PlanPrinter
{
    public static void Print(LocalRunPlan plan, IReadOnlyList<ChildSpec> children, TextWriter o)
    {
        var m = plan.Manifest;
        o.WriteLine($"agentops run {m.Name}: environment {m.Environment} (interpreter {(m.Interpreter ? "on" : "off")}), preset {m.Preset}");
        o.WriteLine($"  run folder  {plan.RunDir}");
        o.WriteLine(plan.Resuming ? $"  resume      from {plan.ResumeFrom}" : "  resume      no checkpoint yet: starting fresh");
        o.WriteLine($"  runtime     {plan.Runtime.Runtime}: {plan.Runtime.Reason}");
        o.WriteLine(plan.Queue.Kind == "in-process"
            ? $"  queue       in-process, hosted by the trainer with TrajectoryIngest on {plan.PolicyUrl} (no --redis)"
            : $"  queue       {plan.Queue.Kind} at {plan.Queue.RedisUrl}; gateway on {plan.IngestUrl}");
        o.WriteLine($"  token       {plan.TokenPath} (children get it in $AGENTOPS_TOKEN)");
        o.WriteLine("  processes");
        foreach (var c in children) o.WriteLine($"    {c.Name,-12} {c.CommandLine}  > logs/{c.Name}.log");
        o.WriteLine("  phases");
        foreach (var p in plan.Phases) o.WriteLine($"    {p}");
        if (plan.Runtime.IsFallback) o.WriteLine($"WARNING: {plan.Runtime.Reason}");
    }
}
