namespace AgentOps.Protos.Wire;

/// <summary>
/// Nested messages' sizes from the size pass, in the order the write pass writes their length prefixes, so each is
/// computed once (Google.Protobuf recomputes a nested message's size for its prefix, and a packed field's again inside it).
/// </summary>
internal sealed class WirePlan
{
    private int[] _sizes = new int[32];
    private int _count;
    private int _next;

    public void Clear() => _count = _next = 0;

    /// <summary>A slot for a size the caller knows only after measuring what comes after it (a message's own fields).</summary>
    public int Reserve()
    {
        if (_count == _sizes.Length) Array.Resize(ref _sizes, _count * 2);
        return _count++;
    }

    public int Set(int slot, int size) => _sizes[slot] = size;

    /// <summary>The write pass: the next size, in size-pass order.</summary>
    public int Next() => _next < _count
        ? _sizes[_next++]
        : throw new InvalidOperationException($"The trajectory gained a nested message after it was sized ({_count} were sized)");

    public void Rewind() => _next = 0;

    public bool AllWritten => _next == _count;
}
