using System.Text.Json.Serialization;

namespace AgentOps.Workers.Environments.Cat;

/// <summary>
/// Code-as-Task (Self-Challenging agents): an instruction, a verification function, an example solution and
/// failure cases. <see cref="Verify"/> is Python source defining `verify(answer: str) -> bool`;
/// <see cref="Solution"/> is a cell whose printed output is a correct answer; every entry of
/// <see cref="Failures"/> is a wrong answer that `verify` must reject. On disk: one JSON file per task.
/// </summary>
public sealed record CatTask(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("instruction")] string Instruction,
    [property: JsonPropertyName("verify")] string Verify,
    [property: JsonPropertyName("solution")] string Solution,
    [property: JsonPropertyName("failures")] IReadOnlyList<string> Failures);

/// <summary>Why a proposed task was kept or dropped, with the solution's answer when it ran.</summary>
public sealed record CatCheck(CatTask Task, bool Kept, string Reason, string? SolutionAnswer);
