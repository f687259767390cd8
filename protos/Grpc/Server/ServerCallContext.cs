using Microsoft.AspNetCore.Http;

namespace AgentOps.Protos.Grpc;

/// <summary>What a server handler knows about its call (Grpc.Core's <c>ServerCallContext</c>).</summary>
public sealed class ServerCallContext
{
    private readonly ServerCall _call;

    internal ServerCallContext(ServerCall call, string method, DateTime deadline, Metadata requestHeaders, CancellationToken cancellationToken)
    {
        _call = call;
        Method = method;
        Deadline = deadline;
        RequestHeaders = requestHeaders;
        CancellationToken = cancellationToken;
    }

    /// <summary>The full method path, "/package.Service/Method".</summary>
    public string Method { get; }
    public string Host => _call.HttpContext.Request.Host.Value ?? "";
    public string Peer => _call.HttpContext.Connection.RemoteIpAddress is { } ip
        ? $"{(ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4")}:{ip}:{_call.HttpContext.Connection.RemotePort}"
        : "unknown";

    /// <summary>The client's deadline (from grpc-timeout), <see cref="DateTime.MaxValue"/> when none was sent.</summary>
    public DateTime Deadline { get; }
    public Metadata RequestHeaders { get; }

    /// <summary>Cancelled when the client goes away or the deadline passes.</summary>
    public CancellationToken CancellationToken { get; }
    public Metadata ResponseTrailers { get; } = new();

    /// <summary>The status sent when the handler returns normally (OK unless set).</summary>
    public Status Status { get; set; } = Status.DefaultSuccess;

    /// <summary>Sends response headers now (at most once, before any message).</summary>
    public Task WriteResponseHeadersAsync(Metadata responseHeaders) => _call.WriteResponseHeadersAsync(responseHeaders);

    /// <summary>The bearer token of the "authorization: Bearer …" request header, or null.</summary>
    public string? GetBearerToken()
    {
        var value = RequestHeaders.GetValue("authorization");
        const string prefix = "Bearer ";
        return value != null && value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? value[prefix.Length..].Trim() : null;
    }

    public HttpContext GetHttpContext() => _call.HttpContext;
}
