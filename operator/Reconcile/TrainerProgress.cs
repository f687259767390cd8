using AgentOps.Protos.Api;
using System.Text.Json;

namespace AgentOps.Operator.Reconcile;

/// <summary>Reads a run's trainer progress (a seam: HTTP in the cluster, a local listener in tests).</summary>
public interface ITrainerProgressSource
{
    /// <summary>Null when the trainer cannot be reached (yet); the reconciler keeps the last status then.</summary>
    Task<TrainerStatusReport?> GetAsync(string ns, string run, CancellationToken ct);
}

/// <summary>GET http://RUN-trainer.NS.svc:METRICS/status, or any base address a resolver gives (tests, port-forwards).</summary>
public sealed class HttpTrainerProgressSource(HttpClient http, Func<string, string, Uri> statusUrl) : ITrainerProgressSource
{
    public static Func<string, string, Uri> InCluster(ReconcileOptions o) =>
        (ns, run) => new Uri($"http://{Names.Trainer(run)}.{ns}.svc:{o.MetricsPort}/status");

    public async Task<TrainerStatusReport?> GetAsync(string ns, string run, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            using var response = await http.GetAsync(statusUrl(ns, run), timeout.Token);
            if (!response.IsSuccessStatusCode) return null;
            return TrainerStatusReport.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return null; // unreachable or not ready: the status says Pending/Running from the pods, progress stays as last seen
        }
    }
}
