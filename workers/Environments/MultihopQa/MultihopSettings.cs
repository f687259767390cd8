namespace AgentOps.Workers.Environments.MultihopQa;

/// <summary>
/// multihop-qa's settings: <see cref="Hops"/>, the pages a question chains through (hops, 1-3, default 2);
/// <see cref="Reward"/>, what the episode's reward is (reward: "em", exact match, the default; or "f1", token F1,
/// HotpotQA's two metrics). The breakdown always carries both, "correct" being exact match.
/// </summary>
public sealed record MultihopSettings(int Hops = 2, string Reward = "em")
{
    public const int MaxHops = 3;

    public static MultihopSettings Read(EnvironmentSettings s) =>
        new(s.Int("hops", 2, min: 1, max: MaxHops), s.Choice("reward", "em", "em", "f1"));
}
