namespace AgentOps.Operator.Local;

/// <summary>
/// spec.export.sftJsonl under `agentops run`: every executor appends its kept trajectories to its own file in
/// RUN_DIR/export (one writer per file, so lines never interleave); after training they are merged, in executor
/// order, into RUN_DIR/sft.jsonl. A resumed run's executors append to the same files, so the merge holds every
/// run's trajectories.
/// </summary>
public static class SftExport
{
    /// <summary>Writes <see cref="LocalRunPlan.SftJsonl"/> (under a temporary name, then renamed); returns the lines and files merged.</summary>
    public static (int Lines, int Files) Merge(LocalRunPlan plan)
    {
        var parts = Directory.Exists(plan.ExportDir)
            ? Directory.GetFiles(plan.ExportDir, "sft-*.jsonl").Order(StringComparer.Ordinal).ToList()
            : [];
        var temp = plan.SftJsonl + ".tmp";
        var lines = 0;
        using (var output = new StreamWriter(temp, append: false))
        {
            foreach (var part in parts)
            {
                foreach (var line in File.ReadLines(part))
                {
                    if (line.Length == 0) continue;
                    output.WriteLine(line);
                    lines++;
                }
            }
        }
        File.Move(temp, plan.SftJsonl, overwrite: true);
        return (lines, parts.Count);
    }
}
