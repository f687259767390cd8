using System.Text;
using AgentOps.Workers.Environments;
using AgentOps.Workers.Environments.Tools;
using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Tests.Environments;

/// <summary>
/// LAM SIMULATOR's `tools`: every template's every solution, run by the real python over the task's own world,
/// prints the answer the template's fixed tool sequence computed in C#; minTools/maxTools select templates;
/// questions are paraphrased and worlds differ per task.
/// </summary>
public sealed class ToolsEnvironmentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentops-tools-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static ToolsEnvironment Make(int min = 1, int max = 3) =>
        new(new EnvironmentOptions("tools", Settings: new Dictionary<string, string> { ["minTools"] = $"{min}", ["maxTools"] = $"{max}" }));

    [Fact]
    public async Task Every_solution_of_every_template_computes_the_csharp_ground_truth_in_python()
    {
        ToolsFolder.Write(_dir);
        var cases = new List<(string Template, string Answer, string Setup, IReadOnlyList<string> Cells)>();
        for (var i = 0; i < 12; i++)
        {
            var random = TaskSeeds.For(11, i);
            var world = BusinessWorld.Generate(random, heldOut: i % 2 == 0);
            var setup = WorldSetup.Cell("biz", world.ToJson());
            foreach (var template in ToolTemplates.All)
            {
                if (template.Sample(world, random) is not { } query) continue;
                foreach (var cells in query.Solutions) cases.Add((template.Name, query.Answer, setup, cells));
            }
        }
        Assert.Equal(ToolTemplates.All.Select(t => t.Name).Order(), cases.Select(c => c.Template).Distinct().Order());
        var printed = await ToolRunner.RunAsync(_dir, cases.Select(c => ((string?)c.Setup, c.Cells)));
        for (var i = 0; i < cases.Count; i++)
            Assert.True(printed[i][^1] == cases[i].Answer,
                $"{cases[i].Template}: expected {cases[i].Answer}, printed {string.Join(" | ", printed[i])}\n{string.Join("\n---\n", cases[i].Cells)}");
        // Every cell fits one action of 96 tokens with its <code></code> tags.
        Assert.All(cases.SelectMany(c => c.Cells), cell => Assert.True(Encoding.UTF8.GetByteCount(cell) <= ToolTemplates.MaxCellBytes, cell));
        // Several tool sequences per template: all but one template have at least two solutions.
        Assert.True(ToolTemplates.All.Count(t => cases.Where(c => c.Template == t.Name).Select(c => string.Join("\n", c.Cells)).Distinct().Count() >= 2) >= ToolTemplates.All.Count - 1);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(1, 3)]
    public void MinTools_and_maxTools_select_the_templates_by_the_length_of_their_tool_sequence(int min, int max)
    {
        var env = Make(min, max);
        var tasks = Enumerable.Range(0, 300).Select(i => env.Generate(TaskSeeds.For(5, i), $"t{i}")).ToList();
        var counts = tasks.Select(t => int.Parse(t.Data!["tools"])).Distinct().Order().ToList();
        Assert.Equal(Enumerable.Range(min, max - min + 1), counts);
        var templates = tasks.Select(t => t.Data!["template"]).Distinct().ToList();
        Assert.Equal(ToolTemplates.All.Count(t => t.Tools >= min && t.Tools <= max), templates.Count);
    }

    [Fact]
    public void Bad_tool_counts_name_the_setting_and_value()
    {
        Assert.Equal("spec.environment.settings.maxTools: must be at most 3, got 4", Assert.Throws<ArgumentException>(() => Make(1, 4)).Message);
        Assert.Equal("spec.environment.settings.maxTools: must be at least minTools (3), got 2", Assert.Throws<ArgumentException>(() => Make(3, 2)).Message);
        Assert.Equal("spec.environment.settings.minTools: must be an integer, got 'two'",
            Assert.Throws<ArgumentException>(() => new ToolsEnvironment(new EnvironmentOptions("tools", Settings: new Dictionary<string, string> { ["minTools"] = "two" }))).Message);
    }

    [Fact]
    public void Questions_are_paraphrased_and_every_task_has_its_own_world()
    {
        var env = Make();
        var tasks = Enumerable.Range(0, 400).Select(i => env.Generate(TaskSeeds.For(6, i), $"t{i}")).ToList();
        // Each template is asked in at least two ways (its phrasings differ in more than the slot values).
        foreach (var group in tasks.GroupBy(t => t.Data!["template"]))
            Assert.True(group.Select(t => Shape(t.Question)).Distinct().Count() >= 2, $"{group.Key}: {string.Join(" | ", group.Select(t => t.Question).Take(5))}");
        Assert.Equal(tasks.Count, tasks.Select(t => t.Setup).Distinct().Count());
        // The same task id and seed give the same task (world included) in any process.
        var again = env.Generate(TaskSeeds.For(6, 7), "t7");
        Assert.Equal(tasks[7].Key, again.Key);
        Assert.Equal(tasks[7].ExpectedAnswer, again.ExpectedAnswer);
        Assert.Equal(tasks[7].ReferenceCells, again.ReferenceCells);
    }

    /// <summary>A question with its slot values (ids, names, dates, numbers) blanked: what a paraphrase changes.</summary>
    private static string Shape(string question) =>
        System.Text.RegularExpressions.Regex.Replace(question, @"\b(O|C|P)\d+\b|\d{4}-\d\d-\d\d|[A-Z][a-z]+ [A-Z][a-z]+|\b[a-z]+ (lamp|chair|kettle|drill|scarf|clock|mug|radio|tent|bike)\b|pending|shipped|cancelled", "_");

    [Fact]
    public async Task Tools_report_missing_arguments_and_unknown_ids_as_ToolError_and_feedback()
    {
        ToolsFolder.Write(_dir);
        var world = BusinessWorld.Generate(new Random(3), heldOut: false);
        var printed = await ToolRunner.RunAsync(_dir, [
            (WorldSetup.Cell("biz", world.ToJson()), ["from biz import *\nget_order()", "get_order('O999')", "list_orders('C1', 'lost')", "find_product('no such thing')"]),
            (null, ["from biz import *\nget_order('O1')"]),
        ]);
        Assert.Equal("ToolError: get_order: missing argument order_id", printed[0][0]);
        Assert.Equal("ToolError: get_order: no order_id 'O999'", printed[0][1]);
        Assert.StartsWith("ToolError: list_orders: status must be", printed[0][2]);
        Assert.Equal("ToolError: find_product: nothing named 'no such thing'", printed[0][3]);
        Assert.Equal("ToolError: get_order: no world is loaded", printed[1][0]);
        var env = Make();
        Assert.Equal("get_order: missing argument order_id", env.FeedbackFor(new CellResult("", "", printed[0][0], TimeSpan.Zero)));
        Assert.StartsWith("unknown tool get_ordr;", env.FeedbackFor(new CellResult("", "", "NameError: name 'get_ordr' is not defined", TimeSpan.Zero)));
        Assert.Null(env.FeedbackFor(new CellResult("", "", "ZeroDivisionError: division by zero", TimeSpan.Zero)));
    }
}
