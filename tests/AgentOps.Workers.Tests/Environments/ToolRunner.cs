using System.Text.Json;

namespace AgentOps.Workers.Tests.Environments;

/// <summary>
/// Runs episodes' cells with the real /usr/bin/python3 over the real tool modules: per episode a fresh namespace,
/// the task's setup cell (its world), then each cell; returns what each cell printed (trimmed), or its error as
/// "ToolError: ..." / "NameError: ...". The episodes travel as a JSON file (worlds are too big for one argv string).
/// </summary>
internal static class ToolRunner
{
    public static async Task<IReadOnlyList<IReadOnlyList<string>>> RunAsync(string toolsDir, IEnumerable<(string? Setup, IReadOnlyList<string> Cells)> episodes)
    {
        var input = Path.Combine(toolsDir, $"episodes-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(input, JsonSerializer.Serialize(episodes.Select(e => new { setup = e.Setup, cells = e.Cells })));
        try
        {
            var output = await Python.RunAsync($$"""
                import io, json, sys, contextlib
                out = []
                for ep in json.load(open({{JsonSerializer.Serialize(input)}})):
                    for m in ('biz', 'qa'): sys.modules.pop(m, None)
                    ns = {}
                    if ep['setup']: exec(ep['setup'], ns)
                    printed = []
                    for cell in ep['cells']:
                        buf = io.StringIO()
                        try:
                            with contextlib.redirect_stdout(buf): exec(cell, ns)
                            printed.append(buf.getvalue().strip())
                        except Exception as e:
                            printed.append(type(e).__name__ + ': ' + str(e))
                    out.append(printed)
                print(json.dumps(out))
                """, toolsDir);
            return JsonSerializer.Deserialize<List<List<string>>>(output)!;
        }
        finally { File.Delete(input); }
    }
}
