namespace AgentOps.Operator.Local;

/// <summary>
/// One local process of a run. <paramref name="StopOrder"/>: lower stops first on shutdown (the trainer at 0
/// so it checkpoints while executors still run; redis last). <paramref name="StopGrace"/>: how long SIGTERM
/// is given before SIGKILL.
/// </summary>
public sealed record ChildSpec(
    string Name,
    LaunchCommand Command,
    IReadOnlyList<string> Args,
    int StopOrder,
    TimeSpan StopGrace,
    IReadOnlyDictionary<string, string>? Environment = null)
{
    public string CommandLine => string.Join(' ', new[] { Command.FileName }.Concat(Command.PrefixArgs).Concat(Args).Select(Quote));

    private static string Quote(string s) => s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./:=,@".Contains(c)) ? s : $"'{s.Replace("'", "'\\''")}'";
}
