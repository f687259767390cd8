namespace AgentOps.Workers.Environments.Tools;

/// <summary>
/// One LAM SIMULATOR task template: <see cref="Sequence"/> is its fixed tool sequence, which computes the ground
/// truth over the task's world; <see cref="Sample"/> fills the slots from that world and returns the paraphrases of
/// the question, the answer, and the solutions (cell lists) an agent could write, each a different way through
/// the tools; null when this world has no fitting slot values.
/// </summary>
internal sealed record ToolTemplate(string Name, IReadOnlyList<string> Sequence, Func<BusinessWorld, Random, ToolQuery?> Sample)
{
    /// <summary>How many tool calls the fixed sequence makes: what minTools and maxTools select on.</summary>
    public int Tools => Sequence.Count;
}

/// <param name="Phrasings">The same question in different words; one is asked.</param>
/// <param name="Answer">The fixed sequence's result, as the verifier compares it.</param>
/// <param name="Solutions">Reference solutions, each a list of cells run in one interpreter; the first follows the fixed sequence.</param>
internal sealed record ToolQuery(IReadOnlyList<string> Phrasings, string Answer, IReadOnlyList<IReadOnlyList<string>> Solutions);
