namespace AgentOps.Protos.Grpc;

/// <summary>Reads a stream of messages (Grpc.Core's <c>IAsyncStreamReader</c>).</summary>
public interface IAsyncStreamReader<out T>
{
    T Current { get; }
    Task<bool> MoveNext(CancellationToken cancellationToken);
}

public interface IAsyncStreamWriter<in T>
{
    Task WriteAsync(T message);
}

/// <summary>The request side of a client-streaming call: write messages, then complete.</summary>
public interface IClientStreamWriter<in T> : IAsyncStreamWriter<T>
{
    Task CompleteAsync();
}

public interface IServerStreamWriter<in T> : IAsyncStreamWriter<T>;

public static class AsyncStreamReaderExtensions
{
    /// <summary>Enumerates every message until the stream ends (grpc-dotnet's <c>ReadAllAsync</c>).</summary>
    public static async IAsyncEnumerable<T> ReadAllAsync<T>(this IAsyncStreamReader<T> reader,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await reader.MoveNext(cancellationToken).ConfigureAwait(false))
            yield return reader.Current;
    }
}
