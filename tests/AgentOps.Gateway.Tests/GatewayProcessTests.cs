using System.Diagnostics;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using AgentOps.Telemetry.Grpc;
using AgentOps.Queue;
using AgentOps.Protos.V1;
using AgentOps.Testing;
using AgentOps.Testing.Redis;
using AgentOps.Testing.Wire;

namespace AgentOps.Gateway.Tests;

/// <summary>`agentops-gateway` as a process, in front of a real redis-server.</summary>
public sealed class GatewayProcessTests
{
    private const string Run = "gw-run";
    private const string Token = "gw-token-xyz";

    private static Metadata Auth(string token = Token) => new() { { "authorization", "Bearer " + token } };

    private static async Task<PushAck> PushAsync(string address, IEnumerable<Trajectory> trajectories, Metadata headers)
    {
        using var channel = GrpcChannel.ForAddress(address);
        using var call = new TrajectoryIngest.TrajectoryIngestClient(channel).Push(headers, DateTime.UtcNow.AddSeconds(60));
        try
        {
            foreach (var t in trajectories) await call.RequestStream.WriteAsync(t);
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
        }
        return await call.ResponseAsync;
    }

    [Fact]
    public async Task Gateway_appends_to_the_runs_redis_stream_and_serves_metrics_and_readiness()
    {
        await using var redis = await RedisServer.StartAsync();
        using var dir = new TempDirectory("agentops-gw");
        var tokenFile = Path.Combine(dir.Path, "token");
        await File.WriteAllTextAsync(tokenFile, Token + "\n");
        using var gateway = await GatewayProcess.StartAsync(redis.Endpoint, Run, tokenFile, "--environments", "arithmetic");

        var batch = Enumerable.Range(0, 20).Select(i => SampleTrajectories.Valid($"gw-{i}", Run)).ToList();
        Assert.Equal(20UL, (await PushAsync(gateway.Address, batch, Auth())).Accepted);
        Assert.Equal(20UL, (await PushAsync(gateway.Address, batch, Auth())).Duplicates);
        Assert.Contains(":20", await redis.CommandAsync("XLEN", $"agentops:{{{Run}}}:trajectories"));

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{gateway.MetricsPort}/metrics");
        Assert.Contains("agentops_ingest_trajectories_total{outcome=\"appended\"} 20", metrics);
        Assert.Contains("agentops_ingest_trajectories_total{outcome=\"duplicate\"} 20", metrics);
        Assert.Contains("agentops_ingest_push_seconds_bucket", metrics);
        using var ready = await http.GetAsync($"http://127.0.0.1:{gateway.MetricsPort}/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Bad_input_to_the_gateway_process_is_refused_with_the_right_status()
    {
        await using var redis = await RedisServer.StartAsync();
        using var dir = new TempDirectory("agentops-gw");
        var tokenFile = Path.Combine(dir.Path, "token");
        await File.WriteAllTextAsync(tokenFile, Token);
        using var gateway = await GatewayProcess.StartAsync(redis.Endpoint, Run, tokenFile,
            "--environments", "arithmetic", "--max-trajectory-bytes", "16384");

        var wrongToken = await Assert.ThrowsAsync<RpcException>(() => PushAsync(gateway.Address, [SampleTrajectories.Valid("a", Run)], Auth("guess")));
        Assert.Equal(StatusCode.PermissionDenied, wrongToken.StatusCode);
        var noToken = await Assert.ThrowsAsync<RpcException>(() => PushAsync(gateway.Address, [SampleTrajectories.Valid("a", Run)], new Metadata()));
        Assert.Equal(StatusCode.Unauthenticated, noToken.StatusCode);

        var otherRun = SampleTrajectories.Valid("b", "someone-elses-run");
        var mismatch = await Assert.ThrowsAsync<RpcException>(() => PushAsync(gateway.Address, [otherRun], Auth()));
        Assert.Equal(StatusCode.InvalidArgument, mismatch.StatusCode);
        Assert.Contains("run_id: expected \"gw-run\", got \"someone-elses-run\"", mismatch.Status.Detail);

        var env = SampleTrajectories.Valid("c", Run, environment: "poker");
        var unknown = await Assert.ThrowsAsync<RpcException>(() => PushAsync(gateway.Address, [env], Auth()));
        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.Contains("\"poker\"", unknown.Status.Detail);

        var large = await Assert.ThrowsAsync<RpcException>(() => PushAsync(gateway.Address, [SampleTrajectories.Valid("d", Run, approxBytes: 20_000)], Auth()));
        Assert.Equal(StatusCode.InvalidArgument, large.StatusCode);
        Assert.Contains("over the limit of 16384 bytes", large.Status.Detail);

        var frame = await Assert.ThrowsAsync<RpcException>(() => PushAsync(gateway.Address, [SampleTrajectories.Valid("e", Run, approxBytes: 40_000)], Auth()));
        Assert.Equal(StatusCode.ResourceExhausted, frame.StatusCode);
        Assert.Contains("exceeds the maximum configured message size", frame.Status.Detail); // grpc-dotnet, before reading the frame

        // a garbage frame: a body that does not parse as a Trajectory
        using var http = new HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Post, gateway.Address + "/agentops.v1.TrajectoryIngest/Push")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFF]),
        };
        request.Content.Headers.TryAddWithoutValidation("content-type", "application/grpc");
        request.Headers.TryAddWithoutValidation("authorization", "Bearer " + Token);
        using var garbage = await http.SendAsync(request);
        Assert.Equal("13", string.Join(",", garbage.Headers.GetValues("grpc-status")));

        Assert.Contains(":0", await redis.CommandAsync("XLEN", $"agentops:{{{Run}}}:trajectories"));
    }

    [Fact]
    public async Task Bad_flags_exit_2_naming_the_flag()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "agentops-gateway.dll"), "--redis", "redis://127.0.0.1:1", "--run", "r", "--token-file", "/nonexistent", "--port", "seven" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(2, p.ExitCode);
        Assert.Contains("--port: expected a non-negative integer, got \"seven\"", stderr);
    }
}
