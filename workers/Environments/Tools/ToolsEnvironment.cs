using System.Globalization;
using System.Text.RegularExpressions;
using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Environments.Tools;

/// <summary>
/// LAM SIMULATOR: task queries from templates (<see cref="ToolTemplates"/>) whose slots are sampled from a world
/// generated for the task alone (<see cref="BusinessWorld"/>), asked in one of several paraphrases; the template's
/// fixed tool sequence computes the ground truth in C# over the same world the sandbox's `biz` module serves (the
/// task's setup cell loads it). Demonstrations follow one of the template's solutions at random. Held-out tasks
/// have held-out worlds and held-out question texts (<see cref="HeldOutPartition"/>). Tool errors become online
/// feedback ("get_order: missing argument order_id", "unknown tool get_ordr").
/// </summary>
public sealed partial class ToolsEnvironment(ToolsSettings settings) : IEnvironment
{
    /// <summary>The functions `biz` exports; a NameError on anything else is reported as an unknown tool.</summary>
    public static readonly string[] ToolNames = ["get_order", "list_orders", "get_customer", "find_customer", "get_product", "find_product", "list_events"];

    private readonly IReadOnlyList<ToolTemplate> _templates =
        ToolTemplates.All.Where(t => t.Tools >= settings.MinTools && t.Tools <= settings.MaxTools).ToList();

    public ToolsEnvironment(EnvironmentOptions options) : this(EnvironmentSettings.Parse(options, ToolsSettings.Read)) { }

    public string Name => "tools";

    public EnvTask Generate(Random random, string id) => Generate(random, id, "train");

    public EnvTask Generate(Random random, string id, string split)
    {
        var world = BusinessWorld.Generate(random, HeldOutPartition.IsEval(split));
        var (template, question, query) = HeldOutPartition.Draw(random, split, r => Query(world, r), q => q.Question,
            $"tools {split} question ({settings.MinTools}-{settings.MaxTools} tools)");
        var cells = query.Solutions[random.Next(query.Solutions.Count)];
        return new EnvTask(id, Name, question, query.Answer, cells,
            Data: new Dictionary<string, string>
            {
                ["template"] = template.Name,
                ["tools"] = template.Tools.ToString(CultureInfo.InvariantCulture),
            },
            Setup: WorldSetup.Cell("biz", world.ToJson()));
    }

    private (ToolTemplate Template, string Question, ToolQuery Query) Query(BusinessWorld world, Random random)
    {
        for (var i = 0; i < HeldOutPartition.MaxDraws; i++)
        {
            var template = _templates[random.Next(_templates.Count)];
            if (template.Sample(world, random) is { } query) return (template, query.Phrasings[random.Next(query.Phrasings.Count)], query);
        }
        throw new ArgumentException($"tools: no template of {settings.MinTools}-{settings.MaxTools} tools fits this world in {HeldOutPartition.MaxDraws} draws");
    }

    public Task<Verdict> VerifyAsync(EnvTask task, string answer, ISandbox sandbox, CancellationToken cancellationToken = default)
    {
        var correct = string.Equals(answer.Trim(), task.ExpectedAnswer, StringComparison.OrdinalIgnoreCase);
        return Task.FromResult(new Verdict(correct ? 1 : 0,
            new Dictionary<string, double> { ["correct"] = correct ? 1 : 0, ["format"] = answer.Trim().Length > 0 ? 1 : 0 },
            correct ? "matches the tool-computed answer" : $"expected '{task.ExpectedAnswer}', got '{answer.Trim()}'"));
    }

    public string? FeedbackFor(CellResult cell)
    {
        if (cell.Error is null) return null;
        var tool = ToolError().Match(cell.Error);
        if (tool.Success) return tool.Groups[1].Value.Trim();
        var name = UnknownName().Match(cell.Error);
        if (name.Success) return $"unknown tool {name.Groups[1].Value}; from biz import {string.Join(", ", ToolNames)}";
        return null;
    }

    [GeneratedRegex(@"ToolError: (.+)")]
    private static partial Regex ToolError();

    [GeneratedRegex(@"NameError: name '(\w+)' is not defined")]
    private static partial Regex UnknownName();
}
