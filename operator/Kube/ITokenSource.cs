namespace AgentOps.Operator.Kube;

/// <summary>Where a bearer token comes from: fixed, a file re-read periodically, or an exec credential plugin.</summary>
public interface ITokenSource
{
    ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken);
}

public sealed class StaticTokenSource(string? token) : ITokenSource
{
    public ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken) => ValueTask.FromResult(token);
}

/// <summary>
/// client-go rest.InClusterConfig: the projected service-account token rotates, so it is re-read from the
/// file once a minute (client-go's cachingTokenSource with a 1-minute period), not read once at start.
/// </summary>
public sealed class FileTokenSource(string path, TimeProvider time) : ITokenSource
{
    public static readonly TimeSpan RefreshPeriod = TimeSpan.FromMinutes(1);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    public async ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (_token is not null && time.GetUtcNow() - _readAt < RefreshPeriod) return _token;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_token is null || time.GetUtcNow() - _readAt >= RefreshPeriod)
            {
                _token = (await File.ReadAllTextAsync(path, cancellationToken)).Trim();
                _readAt = time.GetUtcNow();
            }
            return _token;
        }
        finally { _gate.Release(); }
    }
}
