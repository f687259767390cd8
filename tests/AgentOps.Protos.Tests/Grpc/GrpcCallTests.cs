using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AgentOps.Telemetry.Grpc;
using AgentOps.Testing.Interop;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;

namespace AgentOps.Protos.Tests.Grpc;

/// <summary>grpc-dotnet client against our grpc-dotnet host on loopback: every call shape, statuses, deadlines, metadata,
/// limits, auth, TLS, health and reflection.</summary>
public sealed class GrpcCallTests
{
    [Fact]
    public async Task Unary_round_trips_message_and_metadata_both_ways()
    {
        await using var server = await LoopbackServer.StartAsync();
        var headers = new Metadata { { "x-echo-text", "hello" }, { "x-echo-data-bin", new byte[] { 0, 1, 255 } } };
        using var call = server.Client.EchoAsync(new Payload { Text = "héllo", Index = 7 }, new CallOptions(headers));
        var response = await call;
        Assert.Equal("héllo", response.Text);
        Assert.Equal(7, response.Index);
        var responseHeaders = await call.ResponseHeadersAsync;
        Assert.Equal("hello", responseHeaders.GetValue("x-echo-text"));
        Assert.Equal(new byte[] { 0, 1, 255 }, responseHeaders.Get("x-echo-data-bin")!.ValueBytes);
        Assert.Equal("hello", call.GetTrailers().GetValue("x-echo-text-t"));
        Assert.Equal(new byte[] { 0, 1, 255 }, call.GetTrailers().Get("x-echo-data-t-bin")!.ValueBytes);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Client_stream_of_1000_messages_arrives_complete_and_in_order()
    {
        await using var server = await LoopbackServer.StartAsync();
        using var call = server.Client.Collect();
        for (var i = 0; i < 1000; i++)
            await call.RequestStream.WriteAsync(new Payload { Index = i, Body = ByteString.CopyFrom(new byte[i % 300]) });
        await call.RequestStream.CompleteAsync();
        var summary = await call;
        Assert.Equal(1000, summary.Count);
        Assert.True(summary.InOrder);
        Assert.Equal(Enumerable.Range(0, 1000).Sum(i => (long)(i % 300)), summary.TotalBytes);
    }

    [Fact]
    public async Task Server_stream_delivers_every_message_then_ends()
    {
        await using var server = await LoopbackServer.StartAsync();
        using var call = server.Client.Expand(new ExpandRequest { Count = 500, Size = 100 });
        var seen = new List<long>();
        await foreach (var p in call.ResponseStream.ReadAllAsync())
        {
            Assert.Equal(100, p.Body.Length);
            seen.Add(p.Index);
        }
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), seen);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Every_non_ok_status_arrives_with_its_non_ascii_message()
    {
        await using var server = await LoopbackServer.StartAsync();
        foreach (var code in Enum.GetValues<StatusCode>().Where(c => c != StatusCode.OK))
        {
            var message = $"échec {code} — 失败 100% \t✓";
            var e = await Assert.ThrowsAsync<RpcException>(async () =>
                await server.Client.FailAsync(new FailRequest { Code = (int)code, Message = message }));
            Assert.Equal(code, e.StatusCode);
            Assert.Equal(message, e.Status.Detail);
        }
    }

    [Fact]
    public async Task Four_MiB_message_round_trips_and_a_larger_one_is_refused_with_resource_exhausted()
    {
        await using var server = await LoopbackServer.StartAsync(new GrpcServerHostOptions { MaxReceiveMessageSize = 5 * 1024 * 1024 });
        var body = new byte[4 * 1024 * 1024 - 64];
        new Random(1).NextBytes(body);
        var echoed = await server.Client.EchoAsync(new Payload { Body = ByteString.CopyFrom(body) });
        Assert.Equal(body, echoed.Body.ToByteArray());

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.EchoAsync(new Payload { Body = ByteString.CopyFrom(new byte[6 * 1024 * 1024]) }));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("exceeds the maximum configured message size", e.Status.Detail);
    }

    [Fact]
    public async Task Client_refuses_a_response_over_its_receive_limit()
    {
        await using var server = await LoopbackServer.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.Host.Address, new GrpcChannelOptions { MaxReceiveMessageSize = 1000 });
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await new Interop.InteropClient(channel).EchoAsync(new Payload { Body = ByteString.CopyFrom(new byte[2000]) }));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }

    [Fact]
    public async Task Deadline_exceeded_ends_a_slow_call()
    {
        await using var server = await LoopbackServer.StartAsync();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.SleepAsync(new Payload { Index = 30_000 }, new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(300))));
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        // the channel still works afterwards
        Assert.Equal(3, (await server.Client.SleepAsync(new Payload { Index = 3 }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)))).Index);
    }

    [Fact]
    public async Task Unknown_method_is_unimplemented()
    {
        await using var server = await LoopbackServer.StartAsync();
        var missing = new Method<Payload, Payload>(MethodType.Unary, Interop.Descriptor.FullName, "NoSuchMethod",
            Marshallers.Create(p => p.ToByteArray(), Payload.Parser.ParseFrom), Marshallers.Create(p => p.ToByteArray(), Payload.Parser.ParseFrom));
        var e = await Assert.ThrowsAsync<RpcException>(async () => await server.Channel.CreateCallInvoker().AsyncUnaryCall(missing, null, default, new Payload()));
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
        Assert.Contains("unimplemented", e.Status.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Bearer_interceptor_answers_unauthenticated_then_permission_denied_then_ok()
    {
        await using var server = await LoopbackServer.StartAsync(service: o => o.Interceptors.Add<BearerTokenInterceptor>("s3cret", (Action<Status, ServerCallContext>)((_, _) => { })));
        var none = await Assert.ThrowsAsync<RpcException>(async () => await server.Client.EchoAsync(new Payload()));
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        var wrong = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.EchoAsync(new Payload(), new CallOptions(new Metadata { { "authorization", "Bearer nope" } })));
        Assert.Equal(StatusCode.PermissionDenied, wrong.StatusCode);
        var ok = await server.Client.EchoAsync(new Payload { Index = 1 }, new CallOptions(new Metadata { { "authorization", "Bearer s3cret" } }));
        Assert.Equal(1, ok.Index);
    }

    [Fact]
    public async Task Connection_refused_is_unavailable()
    {
        int port;
        using (var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0)) { l.Start(); port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port; }
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        var e = await Assert.ThrowsAsync<RpcException>(async () => await new Interop.InteropClient(channel).EchoAsync(new Payload()));
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
    }

    [Fact]
    public async Task Server_error_mid_client_stream_stops_the_writer_and_the_response_carries_its_status()
    {
        await using var server = await LoopbackServer.StartAsync(new GrpcServerHostOptions { MaxReceiveMessageSize = 10_000 });
        using var call = server.Client.Collect();
        // grpc-dotnet: a write after the server ended the call throws (Cancelled or the status, depending on the race);
        // the call's status is the response's (what TrajectoryPusher reads).
        var write = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            for (var i = 0; i < 10_000; i++)
                await call.RequestStream.WriteAsync(new Payload { Index = i, Body = ByteString.CopyFrom(new byte[i < 5 ? 10 : 20_000]) });
        });
        Assert.True(write.StatusCode is StatusCode.Cancelled or StatusCode.ResourceExhausted, $"write failed with {write.Status}");
        var e = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }

    [Fact]
    public async Task Bidirectional_stream_answers_each_message_before_the_next_is_sent()
    {
        await using var server = await LoopbackServer.StartAsync();
        using var call = server.Client.Chat();
        for (var i = 0; i < 200; i++)
        {
            await call.RequestStream.WriteAsync(new Payload { Index = i, Text = $"héllo {i}", Body = ByteString.CopyFrom([1, 2, (byte)i]) });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            var answer = call.ResponseStream.Current;
            Assert.Equal(i, answer.Index);
            Assert.Equal($"HÉLLO {i}", answer.Text);
            Assert.Equal(new byte[] { (byte)i, 2, 1 }, answer.Body.ToByteArray());
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Tls_serves_http2_through_alpn()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        await using var server = await LoopbackServer.StartAsync(new GrpcServerHostOptions { Certificate = certificate });
        Assert.StartsWith("https://", server.Host.Address);
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == certificate.GetCertHashString();
        using var channel = GrpcChannel.ForAddress(server.Host.Address, new GrpcChannelOptions { HttpHandler = handler });
        var echoed = await new Interop.InteropClient(channel).EchoAsync(new Payload { Text = "tls ✓" });
        Assert.Equal("tls ✓", echoed.Text);
    }

    [Fact]
    public async Task Health_reports_serving_while_every_check_is_ready_and_not_serving_otherwise()
    {
        var ready = true;
        await using var server = await LoopbackServer.StartAsync(new GrpcServerHostOptions
        {
            HealthChecks = [("redis", _ => Task.FromResult(ready ? AgentOps.Telemetry.ReadinessResult.Ready() : AgentOps.Telemetry.ReadinessResult.NotReady("redis 127.0.0.1:1 refused")))],
        });
        var health = new Health.HealthClient(server.Channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        ready = false;
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest())).Status);
    }

    [Fact]
    public async Task Reflection_lists_the_hosted_services_for_grpcurl()
    {
        await using var server = await LoopbackServer.StartAsync();
        using var call = new ServerReflection.ServerReflectionClient(server.Channel).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("agentops.testing.Interop", names);
        Assert.Contains("grpc.health.v1.Health", names);
    }
}
