namespace AgentOps.Protos.Queue.Resp;

public enum RespKind
{
    SimpleString,
    Error,
    Integer,
    BulkString,
    Array,
    Null,
}

/// <summary>One RESP2 reply (redis.io/docs/reference/protocol-spec): a simple string or error (<see cref="Text"/>),
/// an integer, a bulk string (<see cref="Bulk"/>, the bytes as sent), an array (<see cref="Items"/>) or a null.</summary>
public sealed record RespReply(RespKind Kind, string? Text = null, long Integer = 0, byte[]? Bulk = null, RespReply[]? Items = null)
{
    public static readonly RespReply Nil = new(RespKind.Null);

    public bool IsError => Kind == RespKind.Error;

    /// <summary>A bulk or simple string as UTF-8 text.</summary>
    public string AsString() => Kind switch
    {
        RespKind.BulkString => System.Text.Encoding.UTF8.GetString(Bulk!),
        RespKind.SimpleString => Text!,
        _ => throw Unexpected("a string"),
    };

    public long AsInteger() => Kind == RespKind.Integer ? Integer : throw Unexpected("an integer");

    public RespReply[] AsArray() => Kind == RespKind.Array ? Items! : throw Unexpected("an array");

    public InvalidDataException Unexpected(string expected) =>
        new($"redis replied {Describe()} where {expected} was expected");

    public string Describe() => Kind switch
    {
        RespKind.Error => $"the error \"{Text}\"",
        RespKind.SimpleString => $"the status \"{Text}\"",
        RespKind.Integer => $"the integer {Integer}",
        RespKind.BulkString => $"a {Bulk!.Length}-byte string",
        RespKind.Array => $"an array of {Items!.Length}",
        _ => "nil",
    };
}
