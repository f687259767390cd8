using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace AgentOps.Protos.Wire;

/// <summary>Writes protobuf wire values front to back into a span sized by the size pass (protobuf encoding guide).</summary>
internal ref struct WireSpanWriter(Span<byte> destination)
{
    private readonly Span<byte> _buffer = destination;

    public int Position { get; private set; }

    public void Tag(byte tag) => _buffer[Position++] = tag;

    public void Varint32(uint value)
    {
        while (value >= 0x80)
        {
            _buffer[Position++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _buffer[Position++] = (byte)value;
    }

    public void Varint64(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer[Position++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _buffer[Position++] = (byte)value;
    }

    /// <summary>int32 and enums: a negative value goes out sign-extended to 64 bits (10 bytes), as Google.Protobuf writes it.</summary>
    public void Int32(int value)
    {
        if (value >= 0) Varint32((uint)value);
        else Varint64((ulong)(long)value);
    }

    public void Double(double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(_buffer[Position..], value);
        Position += sizeof(double);
    }

    public void String(string value)
    {
        var length = WireSizes.Utf8.GetByteCount(value);
        Varint32((uint)length);
        WireSizes.Utf8.GetBytes(value, Take(length));
    }

    public void Bytes(ReadOnlySpan<byte> value)
    {
        Varint32((uint)value.Length);
        value.CopyTo(Take(value.Length));
    }

    /// <summary>Packed fixed32 floats: each value's little-endian bits, back to back.</summary>
    public void Floats(ReadOnlySpan<float> values)
    {
        var destination = Take(values.Length * sizeof(float));
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(destination);
            return;
        }
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(destination[(i * sizeof(float))..], values[i]);
    }

    /// <summary>The next <paramref name="length"/> bytes, for a writer of a whole field body.</summary>
    public Span<byte> Take(int length)
    {
        var span = _buffer.Slice(Position, length);
        Position += length;
        return span;
    }
}
