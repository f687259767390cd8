namespace AgentOps.Bench;

/// <summary>Every benchmark `make bench` runs, in order. Add new ones here.</summary>
public static class BenchRegistry
{
    public static IReadOnlyList<IBench> All { get; } =
    [
        new Grpc.GrpcClientStreamingBench(),
        new Pipeline.PipelineBench(),
        new Wire.TrajectorySerializeBench(),
        new Queue.QueueBench(),
        new Wire.TrajectoryParseBench(),
        new Torch.TorchBench(),
        new ScriptedEpisodesBench(),
        new Sandbox.SandboxBench(),
        new Operator.OperatorBench(),
    ];
}
