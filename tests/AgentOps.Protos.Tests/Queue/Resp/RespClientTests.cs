using System.Buffers;
using AgentOps.Protos.Queue.Resp;
using AgentOps.Testing.Redis;

namespace AgentOps.Protos.Tests.Queue.Resp;

/// <summary>Our RESP connection against a real redis-server.</summary>
public sealed class RespClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static ArrayBufferWriter<byte> Command(params object[] args)
    {
        var w = new ArrayBufferWriter<byte>();
        RespWriter.ArrayHeader(w, args.Length);
        foreach (var a in args)
        {
            switch (a)
            {
                case string s: RespWriter.Bulk(w, s); break;
                case long n: RespWriter.Bulk(w, n); break;
                case int n: RespWriter.Bulk(w, n); break;
                case byte[] b: RespWriter.Bulk(w, b); break;
                default: throw new ArgumentException($"unsupported argument {a}");
            }
        }
        return w;
    }

    private static RespClient Client(RedisServer redis, string extra = "") =>
        new(RespEndpoint.FromConfiguration(redis.Endpoint + extra), TimeSpan.FromSeconds(5), TimeProvider.System);

    [Fact]
    public async Task Pipelined_commands_from_many_callers_get_their_own_replies_in_order()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var client = Client(redis);
        // 8 callers x 250 INCRs on one connection: each caller's replies rise, and together they are 1..2000 once each.
        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var mine = new List<long>();
            for (var i = 0; i < 250; i++) mine.Add((await client.SendAsync(Command("INCR", "n"), Timeout, default)).AsInteger());
            return mine;
        })));
        Assert.All(replies, r => Assert.Equal(r.Order(), r));
        Assert.Equal(Enumerable.Range(1, 2000).Select(i => (long)i), replies.SelectMany(r => r).Order());
    }

    [Fact]
    public async Task A_4_MiB_value_goes_and_comes_back_byte_for_byte()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var client = Client(redis);
        var value = new byte[4 << 20];
        new Random(7).NextBytes(value);
        Assert.Equal("OK", (await client.SendAsync(Command("SET", "big", value), Timeout, default)).AsString());
        var back = await client.SendAsync(Command("GET", "big"), Timeout, default);
        Assert.Equal(value, back.Bulk);
        Assert.Equal(RespKind.Null, (await client.SendAsync(Command("GET", "missing"), Timeout, default)).Kind);
        var error = await client.SendAsync(Command("INCR", "big"), Timeout, default);
        Assert.True(error.IsError);
        Assert.StartsWith("ERR", error.Text);
    }

    [Fact]
    public async Task Password_and_database_of_the_configuration_are_used_and_a_wrong_password_is_named()
    {
        await using var redis = await RedisServer.StartAsync();
        Assert.StartsWith("+OK", await redis.CommandAsync("CONFIG", "SET", "requirepass", "s3cret"));
        await using (var client = Client(redis, ",password=s3cret,defaultDatabase=3"))
        {
            var info = (await client.SendAsync(Command("CLIENT", "INFO"), Timeout, default)).AsString();
            Assert.Contains(" db=3 ", info);
        }
        await using var wrong = Client(redis, ",password=nope");
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => wrong.SendAsync(Command("PING"), Timeout, default));
        Assert.Contains(redis.Endpoint, e.Message);
        Assert.Contains("AUTH", e.Message);
    }

    [Fact]
    public async Task A_killed_server_fails_the_waiting_command_and_the_client_dials_again_once_it_is_back()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var client = Client(redis);
        Assert.Equal("PONG", (await client.SendAsync(Command("PING"), Timeout, default)).AsString());
        var blocked = client.SendAsync(Command("BLPOP", "never", 0L), Timeout, default); // waits until the connection dies
        await Task.Delay(200);
        redis.Kill();
        await Assert.ThrowsAsync<IOException>(() => blocked.WaitAsync(Timeout));
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => client.SendAsync(Command("PING"), Timeout, default));
        await redis.RestartAsync();
        Assert.Equal("PONG", (await client.SendAsync(Command("PING"), Timeout, default)).AsString());
    }

    [Fact]
    public async Task A_command_without_an_answer_times_out_and_the_next_one_gets_a_fresh_connection()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var client = Client(redis);
        await Assert.ThrowsAsync<TimeoutException>(() => client.SendAsync(Command("BLPOP", "never", 0L), TimeSpan.FromMilliseconds(300), default));
        // Had the blocked connection been kept, this PING would wait behind the BLPOP forever.
        Assert.Equal("PONG", (await client.SendAsync(Command("PING"), TimeSpan.FromSeconds(5), default)).AsString());
    }
}
