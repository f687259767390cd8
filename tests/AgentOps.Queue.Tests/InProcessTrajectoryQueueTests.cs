using AgentOps.Queue;

namespace AgentOps.Queue.Tests;

public sealed class InProcessTrajectoryQueueTests : TrajectoryQueueContract
{
    protected override Task<ITrajectoryQueue> CreateAsync(int maxLength = 100_000) =>
        Task.FromResult<ITrajectoryQueue>(new InProcessTrajectoryQueue(new InProcessQueueOptions { MaxLength = maxLength }));
}
