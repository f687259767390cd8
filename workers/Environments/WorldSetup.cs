using System.Text.Json;

namespace AgentOps.Workers.Environments;

/// <summary>The setup cell that loads a task's own generated world into a tool module (`biz`, `qa`) before the agent's first turn.</summary>
public static class WorldSetup
{
    /// <summary>JSON text serialized once more is a valid Python string literal, so the world cannot break out of it.</summary>
    public static string Cell(string module, string worldJson) =>
        $"import {module} as _m\n_m._load({JsonSerializer.Serialize(worldJson)})\ndel _m";
}
