using AgentOps.Protos.Api;
using Spectre.Console;

namespace AgentOps.Operator.Local;

/// <summary>
/// Live progress from the trainer's `/status`: a Spectre.Console table redrawn in place on a terminal, plain
/// lines (one every 10 s and on each phase change) when the output is redirected, e.g. under CI.
/// <paramref name="sftMayEndEarly"/> (spec.policy.sft.targetLoss set): the total counts SFT's cap, so during SFT the
/// ETA is an upper bound and says so ("&lt;= 3:54").
/// </summary>
public sealed class ProgressDisplay(Func<CancellationToken, Task<TrainerStatusReport?>> poll, Supervisor supervisor, TimeProvider time,
    bool sftMayEndEarly = false)
{
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public TrainerStatusReport? Last { get; private set; }

    /// <summary>Shows progress until <paramref name="until"/> completes or the token is cancelled.</summary>
    public Task RunAsync(Task until, CancellationToken cancellationToken) =>
        Interactive ? LiveAsync(until, cancellationToken) : PlainAsync(until, cancellationToken);

    private async Task LiveAsync(Task until, CancellationToken cancellationToken)
    {
        var eta = new EtaEstimator(time);
        var table = NewTable();
        await AnsiConsole.Live(table).AutoClear(false).StartAsync(async ctx =>
        {
            while (!until.IsCompleted && !cancellationToken.IsCancellationRequested)
            {
                var s = await poll(cancellationToken).ConfigureAwait(false);
                if (s is not null) Last = s;
                Fill(table, s, s is null ? null : eta.Observe(s), sftMayEndEarly);
                ctx.Refresh();
                await Task.WhenAny(until, Task.Delay(1000, cancellationToken)).ConfigureAwait(false);
            }
        });
    }

    private async Task PlainAsync(Task until, CancellationToken cancellationToken)
    {
        var eta = new EtaEstimator(time);
        var lastLine = DateTimeOffset.MinValue;
        var lastPhase = "";
        var seenEvents = 0;
        while (!until.IsCompleted && !cancellationToken.IsCancellationRequested)
        {
            var s = await poll(cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            if (s is not null)
            {
                Last = s;
                var e = eta.Observe(s);
                if (s.Phase != lastPhase || now - lastLine >= TimeSpan.FromSeconds(10))
                {
                    Console.WriteLine(Line(s, e, sftMayEndEarly));
                    lastLine = now;
                    lastPhase = s.Phase;
                }
            }
            foreach (var ev in supervisor.Events.Skip(seenEvents).Where(ev => ev.Kind is SupervisorEventKind.Restarting or SupervisorEventKind.GaveUp))
                Console.WriteLine($"  ! {ev.Child}: {ev.Message}");
            seenEvents = supervisor.Events.Count;
            await Task.WhenAny(until, Task.Delay(1000, cancellationToken)).ConfigureAwait(false);
        }
    }

    public static string Line(TrainerStatusReport s, TimeSpan? eta, bool sftMayEndEarly = false) =>
        $"[{s.Phase}] step {s.Step}/{s.TotalSteps}  v{s.PolicyVersion}  reward {s.MeanReward:0.000}  success {s.SuccessRate:P1}  " +
        $"{s.TokensPerSecond:0} tok/s  {s.TrajectoriesPerSecond:0.0} traj/s  ingested {s.TrajectoriesIngested}  ETA {Format(eta, s, sftMayEndEarly)}";

    private static Table NewTable()
    {
        var t = new Table().Border(TableBorder.Rounded).Title("agentops run");
        t.AddColumn("phase"); t.AddColumn("step"); t.AddColumn("policy"); t.AddColumn("reward");
        t.AddColumn("success"); t.AddColumn("tokens/s"); t.AddColumn("traj/s"); t.AddColumn("ingested"); t.AddColumn("ETA");
        t.AddRow("starting", "", "", "", "", "", "", "", "");
        return t;
    }

    private void Fill(Table table, TrainerStatusReport? s, TimeSpan? eta, bool sftMayEndEarly)
    {
        table.Rows.Clear();
        if (s is null)
        {
            table.AddRow("[grey]waiting for /status[/]", "", "", "", "", "", "", "", "");
        }
        else
        {
            table.AddRow(Markup.Escape(s.Phase), $"{s.Step}/{s.TotalSteps}", $"v{s.PolicyVersion}", $"{s.MeanReward:0.000}",
                $"{s.SuccessRate:P1}", $"{s.TokensPerSecond:0}", $"{s.TrajectoriesPerSecond:0.0}", $"{s.TrajectoriesIngested}", Format(eta, s, sftMayEndEarly));
        }
        var trouble = supervisor.Events.Where(e => e.Kind is SupervisorEventKind.Restarting or SupervisorEventKind.GaveUp).TakeLast(3).ToList();
        table.Caption(trouble.Count == 0 ? "" : string.Join("\n", trouble.Select(e => $"[yellow]{Markup.Escape(e.Child)}: {Markup.Escape(e.Message.Split('\n')[0])}[/]")));
    }

    private static string Format(TimeSpan? eta, TrainerStatusReport s, bool sftMayEndEarly) => eta is { } e
        ? (sftMayEndEarly && s.Phase == "sft" ? "<= " : "") + (e.TotalHours >= 1 ? e.ToString(@"h\:mm\:ss") : e.ToString(@"m\:ss"))
        : "-";
}
