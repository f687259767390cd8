using System.Globalization;
using System.Text.Json;

namespace AgentOps.Testing.Prometheus;

/// <summary>
/// A real Prometheus (Debian's prometheus 2.x) on a loopback port with a temp TSDB, scraping the given
/// targets every second. Queries go through its HTTP API (<c>/api/v1/query</c>). Killed on dispose.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly ExternalProcess _process;
    private readonly TempDirectory _dir;
    private readonly HttpClient _http;

    private PrometheusServer(ExternalProcess process, TempDirectory dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    /// <summary>Starts Prometheus scraping <paramref name="targets"/> ("127.0.0.1:PORT", path /metrics) every second.</summary>
    public static async Task<PrometheusServer> StartAsync(IEnumerable<string> targets, TimeSpan? readyTimeout = null)
    {
        var dir = new TempDirectory("agentops-prometheus");
        var config = Path.Combine(dir.Path, "prometheus.yml");
        var targetList = string.Join(", ", targets.Select(t => $"'{t}'"));
        await File.WriteAllTextAsync(config,
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n" +
            $"scrape_configs:\n  - job_name: agentops\n    scrape_interval: 1s\n    scrape_timeout: 1s\n    static_configs:\n      - targets: [{targetList}]\n");
        var port = LoopbackPort.Next();
        var process = ExternalProcess.Start("prometheus",
        [
            $"--config.file={config}",
            $"--storage.tsdb.path={Path.Combine(dir.Path, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ], dir.Path);
        var server = new PrometheusServer(process, dir, port);
        var deadline = DateTime.UtcNow + (readyTimeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            if (process.HasExited)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"prometheus exited during start-up: {process.OutputTail}");
            }
            try
            {
                using var r = await server._http.GetAsync("-/ready");
                if (r.IsSuccessStatusCode) return server;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new TimeoutException($"prometheus on 127.0.0.1:{port} not ready after {(readyTimeout ?? TimeSpan.FromSeconds(60)).TotalSeconds} s: {process.OutputTail}");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>An instant query; returns each result's labels and value. Throws on an API error.</summary>
    public async Task<IReadOnlyList<PromSample>> QueryAsync(string promql)
    {
        using var response = await _http.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(promql));
        var body = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        if (doc.RootElement.GetProperty("status").GetString() != "success")
            throw new InvalidOperationException($"prometheus query '{promql}' failed: {body}");
        var data = doc.RootElement.GetProperty("data");
        var samples = new List<PromSample>();
        if (data.GetProperty("resultType").GetString() == "scalar")
        {
            samples.Add(new PromSample(new Dictionary<string, string>(), ParseValue(data.GetProperty("result"))));
            return samples;
        }
        foreach (var r in data.GetProperty("result").EnumerateArray())
        {
            var labels = r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            samples.Add(new PromSample(labels, ParseValue(r.GetProperty("value"))));
        }
        return samples;
    }

    /// <summary>Repeats the query until some result satisfies <paramref name="accept"/>; the last results are in the timeout message.</summary>
    public async Task<PromSample> WaitForAsync(string promql, Func<PromSample, bool> accept, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        IReadOnlyList<PromSample> last = [];
        while (true)
        {
            last = await QueryAsync(promql);
            var hit = last.FirstOrDefault(accept);
            if (hit is not null) return hit;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"prometheus query '{promql}' gave no accepted result within {timeout.TotalSeconds} s; last: [{string.Join("; ", last)}]; targets: {await TargetsAsync()}");
            await Task.Delay(250);
        }
    }

    /// <summary>The raw <c>/api/v1/targets</c> answer, for error messages.</summary>
    public async Task<string> TargetsAsync()
    {
        try
        {
            return await _http.GetStringAsync("api/v1/targets");
        }
        catch (Exception e)
        {
            return $"(targets unavailable: {e.Message})";
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        _process.Dispose();
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    private static double ParseValue(JsonElement pair) => pair[1].GetString() switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        var s => double.Parse(s!, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}

/// <summary>One query result: its labels and value.</summary>
public sealed record PromSample(IReadOnlyDictionary<string, string> Labels, double Value)
{
    public override string ToString() => "{" + string.Join(",", Labels.Select(l => $"{l.Key}=\"{l.Value}\"")) + "} " + Value.ToString(CultureInfo.InvariantCulture);
}
