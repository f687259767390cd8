using AgentOps.Bench;

// `make bench [BENCH=name,...]`: each benchmark adds rows to one table printed at the end.
var only = args.Length > 0 ? args[0].Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
var table = new BenchTable();
foreach (var bench in BenchRegistry.All)
{
    if (only.Length > 0 && !only.Contains(bench.Name, StringComparer.OrdinalIgnoreCase)) continue;
    Console.Error.WriteLine($"bench: running {bench.Name} ...");
    try { await bench.RunAsync(table); }
    catch (Exception e) { table.Add(bench.Name, "FAILED", double.NaN, "", e.GetType().Name + ": " + e.Message); }
}
table.Print(Console.Out);
return table.Failed ? 1 : 0;
