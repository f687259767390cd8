using AgentOps.Workers.Environments;
using AgentOps.Workers.Environments.MultihopQa;
using AgentOps.Workers.Environments.Tools;

namespace AgentOps.Workers.Tests.Environments;

/// <summary>The Python tool modules, run by the real interpreter over the JSON the executor writes, agree with C#.</summary>
public sealed class WorldToolsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentops-tools-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Tools_reference_solutions_compute_the_csharp_ground_truth()
    {
        var folder = ToolsFolder.Write(_dir, seed: 11);
        var env = new ToolsEnvironment(folder.Business);
        var tasks = Enumerable.Range(0, 40).Select(i => env.Generate(TaskSeeds.For(11, i), $"t{i}")).ToList();
        Assert.Equal(5, tasks.Select(t => t.Data!["template"]).Distinct().Count());
        // Each task's cells in one fresh namespace, as one episode's interpreter runs them; its last printed line is the answer.
        var script = "import io, contextlib\ndef run(cells):\n ns = {}\n buf = io.StringIO()\n with contextlib.redirect_stdout(buf):\n  for c in cells: exec(c, ns)\n return buf.getvalue().strip().split('\\n')[-1]\n"
            + string.Join("\n", tasks.Select(t => $"print(run({System.Text.Json.JsonSerializer.Serialize(t.ReferenceCells)}))"));
        var lines = (await Python.RunAsync(script, _dir)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(tasks.Select(t => t.ExpectedAnswer), lines);
    }

    [Fact]
    public async Task Tools_report_missing_arguments_and_unknown_ids_as_ToolError()
    {
        ToolsFolder.Write(_dir, seed: 11);
        var output = await Python.RunAsync("""
            from biz import *
            for f in (lambda: get_order(), lambda: get_order('O999'), lambda: list_orders('C1', 'lost')):
                try: f()
                except ToolError as e: print(type(e).__name__ + ': ' + str(e))
            """, _dir);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("ToolError: get_order: missing argument order_id", lines[0]);
        Assert.Equal("ToolError: get_order: no order_id 'O999'", lines[1]);
        Assert.StartsWith("ToolError: list_orders: status must be", lines[2]);
        var env = new ToolsEnvironment(ToolsFolder.Worlds(11).Business);
        Assert.Equal("get_order: missing argument order_id",
            env.FeedbackFor(new AgentOps.Workers.Sandbox.CellResult("", "", lines[0], TimeSpan.Zero)));
        Assert.StartsWith("unknown tool get_ordr;", env.FeedbackFor(new AgentOps.Workers.Sandbox.CellResult("", "",
            "NameError: name 'get_ordr' is not defined", TimeSpan.Zero)));
        Assert.Null(env.FeedbackFor(new AgentOps.Workers.Sandbox.CellResult("", "", "ZeroDivisionError: division by zero", TimeSpan.Zero)));
    }

    [Fact]
    public async Task Multihop_reference_solutions_need_two_hops_and_reach_the_answer()
    {
        var folder = ToolsFolder.Write(_dir, seed: 4);
        var env = new MultihopQaEnvironment(folder.Corpus);
        var tasks = Enumerable.Range(0, 30).Select(i => env.Generate(TaskSeeds.For(4, i), $"t{i}")).ToList();
        var script = string.Join("\n", tasks.Select(t =>
            $"ns={{}}\nexec({System.Text.Json.JsonSerializer.Serialize(t.ReferenceCells[0])}, ns)\nexec({System.Text.Json.JsonSerializer.Serialize(t.ReferenceCells[1])}, ns)"));
        var lines = (await Python.RunAsync(script, _dir)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Every task prints its bridge entity (hop 1), then the answer (hop 2).
        Assert.Equal(tasks.SelectMany(t => new[] { t.Data!["bridge"], t.ExpectedAnswer }), lines);
        var search = await Python.RunAsync($"from qa import *\nprint(search({System.Text.Json.JsonSerializer.Serialize(tasks[0].Data!["bridge"])}))", _dir);
        Assert.StartsWith(tasks[0].Data!["bridge"] + ".", search);
    }

    [Fact]
    public async Task Multihop_verifier_gives_exact_match_and_f1()
    {
        var env = new MultihopQaEnvironment(ToolsFolder.Worlds(4).Corpus);
        var task = env.Generate(TaskSeeds.For(4, 0), "t0") with { ExpectedAnswer = "Kel Osric" };
        Assert.Equal(1, (await env.VerifyAsync(task, "kel osric.", null!)).Total);
        var half = await env.VerifyAsync(task, "Kel Brel", null!);
        Assert.Equal(0, half.Total);
        Assert.Equal(0.5, half.Components["f1"], 3);
        Assert.Equal(0, AnswerMetrics.F1("nobody", "Kel Osric"));
    }
}
