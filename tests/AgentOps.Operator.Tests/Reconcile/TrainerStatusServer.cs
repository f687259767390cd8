using System.Collections.Concurrent;
using System.Net;
using AgentOps.Operator.Reconcile;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentOps.Operator.Tests.Reconcile;

/// <summary>A real HTTP listener standing in for trainers' /status endpoints: /status/NS/RUN answers the JSON a test sets.</summary>
public sealed class TrainerStatusServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string> _status = new();

    private TrainerStatusServer(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public static async Task<TrainerStatusServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new TrainerStatusServer(app);
        app.Run(async ctx =>
        {
            server._requests.AddOrUpdate(ctx.Request.Path.Value ?? "", 1, (_, n) => n + 1);
            if (server._status.TryGetValue(ctx.Request.Path.Value ?? "", out var json))
            {
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync(json);
            }
            else ctx.Response.StatusCode = 503; // trainer not up yet
        });
        await app.StartAsync();
        server.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return server;
    }

    private readonly ConcurrentDictionary<string, int> _requests = new();

    /// <summary>How many times a run's /status was asked for.</summary>
    public int Requests(string ns, string run) => _requests.GetValueOrDefault($"/status/{ns}/{run}");

    public void Set(string ns, string run, string json) => _status[$"/status/{ns}/{run}"] = json;

    public Func<string, string, Uri> Resolver => (ns, run) => new Uri(Url, $"/status/{ns}/{run}");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
