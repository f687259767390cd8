using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Net.Client;
using AgentOps.Telemetry.Grpc;
using AgentOps.Testing.Interop;
using Google.Protobuf;

namespace AgentOps.Protos.Tests.Grpc;

/// <summary>grpc-dotnet (our host and Grpc.Net.Client) against a real gRPC implementation (python3-grpcio), in both directions.</summary>
public sealed class PythonInteropTests
{
    private static string NonAscii(int code) => $"échec {code} — 失败 100% \t✓";

    [Fact]
    public async Task Python_client_against_our_server()
    {
        await using var server = await LoopbackServer.StartAsync(new GrpcServerHostOptions { MaxReceiveMessageSize = 8 * 1024 * 1024 });
        using var peer = new PythonGrpcPeer();
        var results = await peer.RunClientAsync($"127.0.0.1:{server.Host.Port}");
        var byCase = results.GroupBy(r => r.GetProperty("case").GetString()!).ToDictionary(g => g.Key, g => g.ToList());

        var unary = byCase["unary"].Single();
        Assert.Equal(7, unary.GetProperty("index").GetInt64());
        Assert.Equal("héllo", unary.GetProperty("text").GetString());
        Assert.Equal("hello", unary.GetProperty("headers").GetProperty("x-echo-text").GetString());
        Assert.Equal("0001ff", unary.GetProperty("headers").GetProperty("x-echo-data-bin").GetString());
        Assert.Equal("hello", unary.GetProperty("trailers").GetProperty("x-echo-text-t").GetString());
        Assert.Equal("0001ff", unary.GetProperty("trailers").GetProperty("x-echo-data-t-bin").GetString());

        var stream = byCase["client_stream"].Single();
        Assert.Equal(1000, stream.GetProperty("count").GetInt64());
        Assert.True(stream.GetProperty("in_order").GetBoolean());
        Assert.Equal(Enumerable.Range(0, 1000).Sum(i => (long)(i % 300)), stream.GetProperty("total_bytes").GetInt64());

        var expand = byCase["server_stream"].Single();
        Assert.Equal(500, expand.GetProperty("count").GetInt32());
        Assert.True(expand.GetProperty("in_order").GetBoolean());
        Assert.Equal(100, expand.GetProperty("sizes").EnumerateArray().Single().GetInt32());

        var bidi = byCase["bidi"].Single();
        Assert.Equal(100, bidi.GetProperty("count").GetInt32());
        Assert.True(bidi.GetProperty("all_answered").GetBoolean());

        var big = byCase["big"].Single();
        Assert.Equal(4 * 1024 * 1024, big.GetProperty("length").GetInt32());
        Assert.Equal(big.GetProperty("sent").GetString(), big.GetProperty("received").GetString());

        var statuses = byCase["status"];
        Assert.Equal(16, statuses.Count);
        foreach (var s in statuses)
        {
            var code = s.GetProperty("sent").GetInt32();
            Assert.Equal(code, s.GetProperty("received").GetInt32());
            Assert.Equal(NonAscii(code), s.GetProperty("message").GetString());
        }

        Assert.Equal((int)StatusCode.DeadlineExceeded, byCase["deadline"].Single().GetProperty("code").GetInt32());
        Assert.True(byCase["deadline"].Single().GetProperty("seconds").GetDouble() < 20);
        Assert.Equal((int)StatusCode.Unimplemented, byCase["unimplemented"].Single().GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Our_client_against_python_server()
    {
        using var peer = new PythonGrpcPeer();
        var port = await peer.StartServerAsync();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions { MaxReceiveMessageSize = 8 * 1024 * 1024 });
        var client = new Interop.InteropClient(channel);

        // unary with metadata both ways (text and binary)
        var headers = new Metadata { { "x-echo-text", "hello" }, { "x-echo-data-bin", new byte[] { 0, 1, 255 } } };
        using (var call = client.EchoAsync(new Payload { Index = 7, Text = "héllo" }, new CallOptions(headers, DateTime.UtcNow.AddSeconds(60))))
        {
            var echoed = await call;
            Assert.Equal("héllo", echoed.Text);
            var responseHeaders = await call.ResponseHeadersAsync;
            Assert.Equal("hello", responseHeaders.GetValue("x-echo-text"));
            Assert.Equal(new byte[] { 0, 1, 255 }, responseHeaders.Get("x-echo-data-bin")!.ValueBytes);
            Assert.Equal("hello", call.GetTrailers().GetValue("x-echo-text-t"));
            Assert.Equal(new byte[] { 0, 1, 255 }, call.GetTrailers().Get("x-echo-data-t-bin")!.ValueBytes);
        }

        // client stream of 1,000 messages
        using (var call = client.Collect(new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60))))
        {
            for (var i = 0; i < 1000; i++)
                await call.RequestStream.WriteAsync(new Payload { Index = i, Body = ByteString.CopyFrom(new byte[i % 300]) });
            await call.RequestStream.CompleteAsync();
            var summary = await call;
            Assert.Equal(1000, summary.Count);
            Assert.True(summary.InOrder);
            Assert.Equal(Enumerable.Range(0, 1000).Sum(i => (long)(i % 300)), summary.TotalBytes);
        }

        // server stream
        using (var call = client.Expand(new ExpandRequest { Count = 500, Size = 100 }))
        {
            var indices = new List<long>();
            await foreach (var p in call.ResponseStream.ReadAllAsync()) indices.Add(p.Index);
            Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), indices);
        }

        // bidirectional, in lockstep: each answer arrives before the next request is sent
        using (var call = client.Chat(new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60))))
        {
            for (var i = 0; i < 100; i++)
            {
                await call.RequestStream.WriteAsync(new Payload { Index = i, Text = $"héllo {i}", Body = ByteString.CopyFrom([1, 2, (byte)i]) });
                Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
                Assert.Equal(i, call.ResponseStream.Current.Index);
                Assert.Equal($"HÉLLO {i}", call.ResponseStream.Current.Text);
                Assert.Equal(new byte[] { (byte)i, 2, 1 }, call.ResponseStream.Current.Body.ToByteArray());
            }
            await call.RequestStream.CompleteAsync();
            Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        }

        // a 4 MiB message both ways
        var body = new byte[4 * 1024 * 1024];
        new Random(7).NextBytes(body);
        var big = await client.EchoAsync(new Payload { Body = ByteString.CopyFrom(body) });
        Assert.Equal(SHA256.HashData(body), SHA256.HashData(big.Body.Span));

        // every non-OK status with a non-ASCII message
        foreach (var code in Enum.GetValues<StatusCode>().Where(c => c != StatusCode.OK))
        {
            var e = await Assert.ThrowsAsync<RpcException>(async () =>
                await client.FailAsync(new FailRequest { Code = (int)code, Message = NonAscii((int)code) }));
            Assert.Equal(code, e.StatusCode);
            Assert.Equal(NonAscii((int)code), e.Status.Detail);
        }

        // deadline exceeded
        var deadline = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.SleepAsync(new Payload { Index = 30_000 }, new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(300))));
        Assert.Equal(StatusCode.DeadlineExceeded, deadline.StatusCode);

        // unknown method
        var missing = new Method<Payload, Payload>(MethodType.Unary, Interop.Descriptor.FullName, "NoSuchMethod",
            Marshallers.Create(p => p.ToByteArray(), Payload.Parser.ParseFrom), Marshallers.Create(p => p.ToByteArray(), Payload.Parser.ParseFrom));
        var unimplemented = await Assert.ThrowsAsync<RpcException>(async () => await channel.CreateCallInvoker().AsyncUnaryCall(missing, null, default, new Payload()));
        Assert.Equal(StatusCode.Unimplemented, unimplemented.StatusCode);
    }
}
