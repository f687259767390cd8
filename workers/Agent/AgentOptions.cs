namespace AgentOps.Workers.Agent;

/// <summary>
/// The manifest's `spec.agent` plus the sandbox limits the loop enforces (every knob named, with a default).
/// </summary>
/// <param name="MaxTurns">Policy calls per episode; an episode that has not answered by then is TRUNCATED.</param>
/// <param name="MaxNewTokens">Tokens the policy may generate in one turn.</param>
/// <param name="MaxContextTokens">The whole episode (prompt, actions, observations) must fit in this.</param>
/// <param name="MaxObservationBytes">Interpreter output and feedback are cut to this many bytes (tiny context).</param>
/// <param name="Interpreter">false: text-only mode; code blocks get feedback instead of running.</param>
/// <param name="EpisodeTimeout">Wall time for the whole episode; past it the episode is INFRA_PLATFORM_TIMEOUT.</param>
public sealed record AgentOptions(
    int MaxTurns = 4,
    int MaxNewTokens = 96,
    int MaxContextTokens = 512,
    float Temperature = 1.0f,
    float TopP = 1.0f,
    int MaxObservationBytes = 160,
    bool Interpreter = true,
    TimeSpan? EpisodeTimeout = null)
{
    public TimeSpan EpisodeTimeoutOrDefault => EpisodeTimeout ?? TimeSpan.FromSeconds(60);

    public void Validate()
    {
        if (MaxTurns < 1) throw new ArgumentException($"spec.agent.maxTurns: must be at least 1, got {MaxTurns}");
        if (MaxNewTokens < 1) throw new ArgumentException($"spec.agent.maxNewTokens: must be at least 1, got {MaxNewTokens}");
        if (MaxContextTokens < 16) throw new ArgumentException($"spec.agent.maxContextTokens: must be at least 16, got {MaxContextTokens}");
        if (MaxObservationBytes < 8) throw new ArgumentException($"agent.maxObservationBytes: must be at least 8, got {MaxObservationBytes}");
    }
}
