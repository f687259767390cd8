using AgentOps.Protos.V1;
using AgentOps.Workers.Agent;
using AgentOps.Workers.Environments;
using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Executor;

/// <summary>
/// One episode end to end: a sandbox from the pool (a failed start is INFRA_SANDBOX_START_FAILED, with the
/// prompt as its only segment), the agent loop, and the sandbox's disposal (never reused across episodes).
/// </summary>
public sealed class EpisodeRunner(AgentLoop loop, IEnvironment environment, Func<CancellationToken, Task<ISandbox>> acquireSandbox, TimeProvider time)
{
    public IEnvironment Environment => environment;

    public async Task<Trajectory> RunAsync(EpisodeSpec spec, IPolicyClient policy, CancellationToken cancellationToken = default)
    {
        var started = time.GetUtcNow();
        ISandbox sandbox;
        try
        {
            sandbox = await acquireSandbox(cancellationToken);
        }
        catch (Exception e) when (e is SandboxUnavailableException or IOException or InvalidOperationException or TimeoutException
                                   || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var b = new TrajectoryBuilder(spec, environment.Name);
            b.AddText(SegmentKind.Prompt, PromptFormat.Prompt(spec.Task.Question), 0);
            b.SetLabel("policy", policy.Name);
            b.SetOutcome(OutcomeStatus.InfraSandboxStartFailed, $"sandbox could not start: {e.GetType().Name}: {e.Message}");
            return b.Finish(started, time.GetUtcNow(), 0, 0);
        }
        await using (sandbox)
        {
            return await loop.RunAsync(spec, environment, policy, sandbox, cancellationToken);
        }
    }
}
