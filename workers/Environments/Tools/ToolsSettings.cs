namespace AgentOps.Workers.Environments.Tools;

/// <summary>tools' settings: the templates asked are those whose fixed tool sequence has minTools..maxTools calls (1-3, default 1 and 3).</summary>
public sealed record ToolsSettings(int MinTools = 1, int MaxTools = 3)
{
    public static ToolsSettings Read(EnvironmentSettings s)
    {
        var min = s.Int("minTools", 1, min: 1, max: ToolTemplates.MaxTools);
        var max = s.Int("maxTools", ToolTemplates.MaxTools, min: 1, max: ToolTemplates.MaxTools);
        if (max < min) throw new ArgumentException($"{EnvironmentSettings.PathOf("maxTools")}: must be at least minTools ({min}), got {max}");
        return new ToolsSettings(min, max);
    }
}
