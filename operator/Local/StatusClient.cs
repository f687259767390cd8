using AgentOps.Protos.Api;
using System.Net.Http.Json;
using System.Text.Json;

namespace AgentOps.Operator.Local;

/// <summary>Polls `/status` and `/readyz` on the trainer's metrics port.</summary>
public sealed class StatusClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<TrainerStatusReport?> GetAsync(string url, CancellationToken cancellationToken)
    {
        try
        {
            return await http.GetFromJsonAsync<TrainerStatusReport>(url, Json, cancellationToken);
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Waits until GET url answers 200, the process dies (<paramref name="alive"/> false), or the timeout.</summary>
    public async Task WaitReadyAsync(string what, string url, Func<bool> alive, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!alive()) throw new InvalidOperationException($"{what}: exited before it was ready at {url}");
            try
            {
                using var response = await http.GetAsync(url, cancellationToken);
                if (response.IsSuccessStatusCode) return;
                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            await Task.Delay(250, cancellationToken);
        }
        throw new TimeoutException($"{what}: not ready at {url} after {timeout.TotalSeconds:0}s (last: {last})");
    }
}
