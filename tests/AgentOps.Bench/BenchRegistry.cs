namespace AgentOps.Bench;

/// <summary>Every benchmark `make bench` runs, in order. Add new ones here.</summary>
public static class BenchRegistry
{
    public static IReadOnlyList<IBench> All { get; } =
    [
        new Grpc.GrpcClientStreamingBench(),
        new Pipeline.PipelineBench(),
        new Queue.QueueBench(),
        new Torch.TorchBench(),
        new ScriptedEpisodesBench(),
        new Sandbox.SandboxBench(),
        new Operator.OperatorBench(),
    ];
}
