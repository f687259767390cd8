using System.Net;
using AgentOps.Protos.Grpc;

namespace AgentOps.Protos.Tests.Grpc;

/// <summary>Raw HTTP/2 requests against our server: what goes on the wire, per PROTOCOL-HTTP2.md.</summary>
public sealed class GrpcWireTests
{
    private static HttpRequestMessage Request(string address, string path, byte[] body, string contentType = "application/grpc")
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("content-type", contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, address + path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        return request;
    }

    private static byte[] Frame(byte[] message, byte flag = 0)
    {
        var frame = new byte[5 + message.Length];
        frame[0] = flag;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    private static string? Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) ? string.Join(",", v) : null;

    [Fact]
    public async Task Error_before_any_message_is_a_trailers_only_response_with_percent_encoded_message()
    {
        await using var server = await LoopbackServer.StartAsync();
        using var http = new HttpClient();
        var fail = new AgentOps.Protos.Testing.FailRequest { Code = 5, Message = "nicht gefunden: ü 100%" };
        using var response = await http.SendAsync(Request(server.Host.Address, "/agentops.testing.Interop/Fail", Frame(Google.Protobuf.MessageExtensions.ToByteArray(fail))));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("5", Header(response, "grpc-status"));
        Assert.Equal("nicht gefunden: %C3%BC 100%25", Header(response, "grpc-message"));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Empty(response.TrailingHeaders);
    }

    [Fact]
    public async Task Success_puts_status_in_trailers_after_the_message()
    {
        await using var server = await LoopbackServer.StartAsync();
        using var http = new HttpClient();
        var payload = new AgentOps.Protos.Testing.Payload { Index = 3 };
        using var response = await http.SendAsync(Request(server.Host.Address, "/agentops.testing.Interop/Echo", Frame(Google.Protobuf.MessageExtensions.ToByteArray(payload))));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(Frame(Google.Protobuf.MessageExtensions.ToByteArray(payload)), body);
        Assert.Null(Header(response, "grpc-status"));
        Assert.Equal("0", string.Join(",", response.TrailingHeaders.GetValues("grpc-status")));
    }

    [Fact]
    public async Task Unsupported_grpc_encoding_is_unimplemented_with_accept_encoding()
    {
        await using var server = await LoopbackServer.StartAsync();
        using var http = new HttpClient();
        var request = Request(server.Host.Address, "/agentops.testing.Interop/Echo", Frame([1, 2, 3], flag: 1));
        request.Headers.TryAddWithoutValidation("grpc-encoding", "gzip");
        using var response = await http.SendAsync(request);
        Assert.Equal("12", Header(response, "grpc-status"));
        Assert.Equal("identity", Header(response, "grpc-accept-encoding"));
        Assert.Contains("gzip", Uri.UnescapeDataString(Header(response, "grpc-message")!));
    }

    [Fact]
    public async Task Non_grpc_content_type_is_415()
    {
        await using var server = await LoopbackServer.StartAsync();
        using var http = new HttpClient();
        using var response = await http.SendAsync(Request(server.Host.Address, "/agentops.testing.Interop/Echo", [1], "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Garbage_and_truncated_frames_are_internal_errors()
    {
        await using var server = await LoopbackServer.StartAsync();
        using var http = new HttpClient();
        using var flag = await http.SendAsync(Request(server.Host.Address, "/agentops.testing.Interop/Echo", [7, 0, 0, 0, 1, 42]));
        Assert.Equal("13", Header(flag, "grpc-status"));
        using var truncated = await http.SendAsync(Request(server.Host.Address, "/agentops.testing.Interop/Echo", [0, 0, 0, 1, 0, 42]));
        Assert.Equal("13", Header(truncated, "grpc-status"));
        Assert.Contains("Incomplete message", Uri.UnescapeDataString(Header(truncated, "grpc-message")!));
    }

    [Fact]
    public async Task Server_honours_grpc_timeout_on_its_own()
    {
        await using var server = await LoopbackServer.StartAsync();
        using var http = new HttpClient();
        var request = Request(server.Host.Address, "/agentops.testing.Interop/Sleep",
            Frame(Google.Protobuf.MessageExtensions.ToByteArray(new AgentOps.Protos.Testing.Payload { Index = 60_000 })));
        request.Headers.TryAddWithoutValidation("grpc-timeout", "200m");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await http.SendAsync(request, cts.Token);
        Assert.Equal("4", Header(response, "grpc-status"));
    }

    [Theory]
    [InlineData("1S", 10_000_000L)]
    [InlineData("250m", 2_500_000L)]
    [InlineData("7u", 70L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("500n", 5L)]
    public void Grpc_timeout_parses_every_unit(string value, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(value, out var t));
        Assert.Equal(ticks, t.Ticks);
    }

    [Fact]
    public void Grpc_timeout_format_keeps_eight_digits_and_rounds_up()
    {
        Assert.Equal("1500000u", GrpcTimeout.Format(TimeSpan.FromMilliseconds(1500)));
        Assert.Equal("100000000m".Length - 1, GrpcTimeout.Format(TimeSpan.FromHours(20)).Length);
        Assert.False(GrpcTimeout.TryParse("123456789S", out _));
        Assert.False(GrpcTimeout.TryParse("10x", out _));
    }

    [Fact]
    public void Percent_encoding_round_trips_and_tolerates_bad_escapes()
    {
        const string s = "a%b ü\n✓";
        Assert.Equal("a%25b %C3%BC%0A%E2%9C%93", PercentEncoding.Encode(s));
        Assert.Equal(s, PercentEncoding.Decode(PercentEncoding.Encode(s)));
        Assert.Equal("100%zz", PercentEncoding.Decode("100%zz"));
    }
}
