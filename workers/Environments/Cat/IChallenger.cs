namespace AgentOps.Workers.Environments.Cat;

/// <summary>
/// Proposes Code-as-Task tasks (Self-Challenging agents). Implementations: <see cref="TemplateChallenger"/>
/// and <see cref="CatTaskFolder"/> now; the policy itself later.
/// </summary>
public interface IChallenger
{
    Task<IReadOnlyList<CatTask>> ProposeAsync(Random random, int count, CancellationToken cancellationToken = default);
}
