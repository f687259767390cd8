using System.Diagnostics;
using System.Text.Json.Nodes;

namespace AgentOps.Operator.Kube;

/// <summary>
/// client-go exec credential plugin (client.authentication.k8s.io/v1): runs the command with
/// KUBERNETES_EXEC_INFO set, reads an ExecCredential from stdout, caches status.token until
/// status.expirationTimestamp (no expiry = cache for the process lifetime, as client-go does).
/// </summary>
public sealed class ExecTokenSource(string command, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> env,
    string apiVersion, TimeProvider time) : ITokenSource
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset? _expires;

    public async ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_token is not null && (_expires is null || time.GetUtcNow() < _expires.Value - TimeSpan.FromSeconds(10)))
                return _token;
            var psi = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            foreach (var (k, v) in env) psi.Environment[k] = v;
            psi.Environment["KUBERNETES_EXEC_INFO"] =
                new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = "ExecCredential", ["spec"] = new JsonObject { ["interactive"] = false } }.ToJsonString();
            using var process = Process.Start(psi) ?? throw new InvalidOperationException($"exec credential plugin: could not start \"{command}\"");
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"exec credential plugin \"{command}\" exited with {process.ExitCode}: {(await stderr).Trim()}");
            var credential = JsonNode.Parse(await stdout) as JsonObject
                ?? throw new InvalidOperationException($"exec credential plugin \"{command}\" printed no ExecCredential JSON");
            var status = credential["status"] as JsonObject
                ?? throw new InvalidOperationException($"exec credential plugin \"{command}\": ExecCredential has no status");
            _token = (string?)status["token"]
                ?? throw new InvalidOperationException($"exec credential plugin \"{command}\": status.token is missing (client certificates from plugins are not supported)");
            _expires = status["expirationTimestamp"] is JsonNode e ? DateTimeOffset.Parse((string)e!, System.Globalization.CultureInfo.InvariantCulture) : null;
            return _token;
        }
        finally { _gate.Release(); }
    }
}
