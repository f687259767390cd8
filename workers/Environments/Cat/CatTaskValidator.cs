using System.Text.Json;
using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Environments.Cat;

/// <summary>
/// The Self-Challenging filter, run in the sandbox (tasks are untrusted code): keep a task only if its
/// example solution runs and passes its verifier and every failure case fails it.
/// </summary>
public static class CatTaskValidator
{
    public static async Task<CatCheck> CheckAsync(CatTask task, ISandbox sandbox, CancellationToken cancellationToken = default)
    {
        var run = await sandbox.ExecuteAsync(task.Solution, cancellationToken);
        if (!run.Ok) return new CatCheck(task, false, $"solution failed: {run.Error}", null);
        var answer = run.Stdout.Trim();
        var verdicts = await RunVerifierAsync(task, [answer, .. task.Failures], sandbox, cancellationToken);
        if (verdicts.Error is not null) return new CatCheck(task, false, $"verifier failed: {verdicts.Error}", answer);
        if (verdicts.Results[0] != true) return new CatCheck(task, false, $"solution's answer '{answer}' does not pass verify", answer);
        for (var i = 0; i < task.Failures.Count; i++)
        {
            if (verdicts.Results[i + 1] != false)
                return new CatCheck(task, false, $"failure case {i} ('{task.Failures[i]}') is not rejected by verify", answer);
        }
        return new CatCheck(task, true, "solution passes, every failure case fails", answer);
    }

    /// <summary>Runs `verify` on each answer in a fresh namespace; null for an answer whose verify raised.</summary>
    public static async Task<(IReadOnlyList<bool?> Results, string? Error)> RunVerifierAsync(
        CatTask task, IReadOnlyList<string> answers, ISandbox sandbox, CancellationToken cancellationToken = default)
    {
        // JSON string literals are valid Python string literals, so untrusted text cannot break out of them.
        var code =
            "def _cat_check(src, answers):\n" +
            " ns = {}\n exec(src, ns)\n out = []\n" +
            " for a in answers:\n" +
            "  try: out.append(bool(ns['verify'](a)))\n" +
            "  except Exception: out.append(None)\n" +
            " return out\n" +
            $"print('CAT:' + __import__('json').dumps(_cat_check({JsonSerializer.Serialize(task.Verify)}, {JsonSerializer.Serialize(answers)})))\n" +
            "del _cat_check";
        var result = await sandbox.ExecuteAsync(code, cancellationToken);
        if (!result.Ok) return ([], result.Error);
        var line = result.Stdout.Split('\n').LastOrDefault(l => l.StartsWith("CAT:", StringComparison.Ordinal));
        if (line is null) return ([], $"verifier printed no result (stdout '{result.Stdout.Trim()}')");
        var parsed = JsonSerializer.Deserialize<bool?[]>(line[4..]) ?? [];
        if (parsed.Length != answers.Count) return ([], $"verifier returned {parsed.Length} results for {answers.Count} answers");
        return (parsed, null);
    }
}
