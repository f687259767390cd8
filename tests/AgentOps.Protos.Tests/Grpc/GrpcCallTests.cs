using AgentOps.Protos.Grpc;
using AgentOps.Protos.Testing;
using Google.Protobuf;

namespace AgentOps.Protos.Tests.Grpc;

/// <summary>Our client against our server on loopback: the three call shapes, statuses, deadlines, metadata, limits.</summary>
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
        await using var server = await LoopbackServer.StartAsync(new GrpcServiceOptions { MaxReceiveMessageSize = 5 * 1024 * 1024 });
        var body = new byte[4 * 1024 * 1024 - 64];
        new Random(1).NextBytes(body);
        var echoed = await server.Client.EchoAsync(new Payload { Body = ByteString.CopyFrom(body) });
        Assert.Equal(body, echoed.Body.ToByteArray());

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.EchoAsync(new Payload { Body = ByteString.CopyFrom(new byte[6 * 1024 * 1024]) }));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("vs. 5242880", e.Status.Detail);
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
            await server.Client.SleepAsync(new Payload { Index = 30_000 }, new CallOptions(Deadline: DateTime.UtcNow.AddMilliseconds(300))));
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        // the channel still works afterwards
        Assert.Equal(3, (await server.Client.SleepAsync(new Payload { Index = 3 }, new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(30)))).Index);
    }

    [Fact]
    public async Task Unknown_method_is_unimplemented()
    {
        await using var server = await LoopbackServer.StartAsync();
        var missing = new Method<Payload, Payload>(MethodType.Unary, Interop.ServiceName, "NoSuchMethod",
            Marshallers.ForProtobuf(Payload.Parser), Marshallers.ForProtobuf(Payload.Parser));
        var e = await Assert.ThrowsAsync<RpcException>(async () => await server.Channel.AsyncUnaryCall(missing, default, new Payload()));
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
        Assert.Contains("/agentops.testing.Interop/NoSuchMethod", e.Status.Detail);
    }

    [Fact]
    public async Task Bearer_hook_answers_unauthenticated_then_permission_denied_then_ok()
    {
        await using var server = await LoopbackServer.StartAsync(new GrpcServiceOptions { Authorize = BearerTokenAuthorization.Require("s3cret") });
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
    public async Task Server_error_mid_client_stream_reaches_the_writer_with_its_status()
    {
        await using var server = await LoopbackServer.StartAsync(new GrpcServiceOptions { MaxReceiveMessageSize = 10_000 });
        using var call = server.Client.Collect();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            for (var i = 0; i < 10_000; i++)
                await call.RequestStream.WriteAsync(new Payload { Index = i, Body = ByteString.CopyFrom(new byte[i < 5 ? 10 : 20_000]) });
            await call.RequestStream.CompleteAsync();
            await call;
        });
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }
}
