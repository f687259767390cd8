using System.Buffers;

namespace AgentOps.Workers.Sandbox.Repl;

/// <summary>Reads '\n'-terminated frames from the driver's protocol fd, refusing any frame over a byte cap
/// (a cell that writes garbage to the protocol fd must not make the executor buffer without bound).</summary>
internal sealed class BoundedLineReader(Stream stream, int maxBytes)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>The next frame without its '\n'; null at end of stream.</summary>
    /// <exception cref="SandboxProtocolException">The frame is longer than the cap.</exception>
    public async Task<byte[]?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new ArrayBufferWriter<byte>();
        while (true)
        {
            if (_start < _end)
            {
                var span = _buffer.AsSpan(_start, _end - _start);
                var nl = span.IndexOf((byte)'\n');
                var take = nl >= 0 ? nl : span.Length;
                if (line.WrittenCount + take > maxBytes)
                    throw new SandboxProtocolException($"result frame over the {maxBytes}-byte limit", oversized: true);
                line.Write(span[..take]);
                _start += nl >= 0 ? nl + 1 : take;
                if (nl >= 0) return line.WrittenSpan.ToArray();
            }
            _start = 0;
            _end = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            if (_end == 0) return line.WrittenCount > 0 ? line.WrittenSpan.ToArray() : null;
        }
    }
}

/// <summary>The driver's protocol stream carried something that is not a result frame.</summary>
internal sealed class SandboxProtocolException(string message, bool oversized = false) : Exception(message)
{
    public bool Oversized { get; } = oversized;
}
