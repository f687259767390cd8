using AgentOps.Protos.V1;
using Google.Protobuf;
using static AgentOps.Protos.Wire.Proto3Fields;

namespace AgentOps.Protos.Wire;

/// <summary>
/// Serializes a <see cref="Trajectory"/> to exactly the bytes Google.Protobuf's <c>ToByteArray()</c> gives (field order,
/// proto3 default omission, packed repeated fields, map entries in the MapField's order), measuring each nested message
/// once: <see cref="Size"/> keeps the sizes and <see cref="Write"/> of the same message uses them. Token ids and log-probs
/// are copied in blocks instead of value by value. A message parsed with unknown fields is left to Google.Protobuf's own
/// serializer (which writes them back). Not thread-safe: one per thread (<see cref="ForCurrentThread"/>).
/// Kept next to Google.Protobuf (issue 15, point 5) because the paired pipeline bench (same session, alternating, load
/// 13-37) measured the pusher with Google.Protobuf's serializer at 4 KiB 62-63 µs of our CPU per trajectory and 64 KiB
/// 680-721 µs, with this writer 41-47 and 456-502 µs; 64 KiB ratio 0.075-0.10 vs 0.09-0.16 (README, "gRPC").
/// </summary>
public sealed class TrajectoryWireWriter
{
    private const byte TrajectoryId = 1 << 3 | WireTags.LengthDelimited;
    private const byte RunId = 2 << 3 | WireTags.LengthDelimited;
    private const byte EpisodeId = 3 << 3 | WireTags.LengthDelimited;
    private const byte TaskId = 4 << 3 | WireTags.LengthDelimited;
    private const byte Environment = 5 << 3 | WireTags.LengthDelimited;
    private const byte GroupId = 6 << 3 | WireTags.LengthDelimited;
    private const byte Split = 7 << 3 | WireTags.LengthDelimited;
    private const byte Executor = 8 << 3 | WireTags.LengthDelimited;
    private const byte Segments = 9 << 3 | WireTags.LengthDelimited;
    private const byte Steps = 10 << 3 | WireTags.LengthDelimited;
    private const byte Reward = 11 << 3 | WireTags.LengthDelimited;
    private const byte Outcome = 12 << 3 | WireTags.LengthDelimited;
    private const byte Timings = 13 << 3 | WireTags.LengthDelimited;
    private const byte Labels = 14 << 3 | WireTags.LengthDelimited;
    private const byte EntryKey = 1 << 3 | WireTags.LengthDelimited;
    private const byte EntryValue = 2 << 3 | WireTags.LengthDelimited;

    [ThreadStatic] private static TrajectoryWireWriter? t_current;

    private readonly WirePlan _plan = new();
    private Trajectory? _sized; // the message _plan and _size belong to, until Write takes them
    private int _size;

    /// <summary>This thread's writer (a serializer calls Size then Write on the same thread, as gRPC framing does).</summary>
    public static TrajectoryWireWriter ForCurrentThread => t_current ??= new TrajectoryWireWriter();

    /// <summary>The serialized size (Google.Protobuf's <c>CalculateSize()</c>); keeps the nested sizes for <see cref="Write"/>.</summary>
    public int Size(Trajectory trajectory)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        _plan.Clear();
        _size = Measure(trajectory);
        _sized = trajectory;
        return _size;
    }

    /// <summary>
    /// Writes <paramref name="trajectory"/> into <paramref name="destination"/>, which must be exactly its <see cref="Size"/>.
    /// Uses the sizes of the last <see cref="Size"/> call when it was for this message, and measures again otherwise.
    /// </summary>
    public void Write(Trajectory trajectory, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        if (!ReferenceEquals(_sized, trajectory)) Size(trajectory);
        _sized = null; // neither keep the message alive nor trust the sizes for a later change to it
        if (destination.Length != _size)
            throw new ArgumentException($"The destination is {destination.Length} bytes, trajectory {trajectory.TrajectoryId} is {_size}", nameof(destination));
        if (trajectory.HasUnknownFields)
        {
            trajectory.WriteTo(destination);
            return;
        }
        _plan.Rewind();
        var writer = new WireSpanWriter(destination);
        WriteFields(trajectory, ref writer);
        if (writer.Position != _size || !_plan.AllWritten)
            throw new InvalidOperationException($"Trajectory {trajectory.TrajectoryId} changed between Size and Write: sized {_size} bytes, wrote {writer.Position}");
    }

    /// <summary>The bytes <c>ToByteArray()</c> gives, in a new array.</summary>
    public byte[] ToByteArray(Trajectory trajectory)
    {
        var bytes = new byte[Size(trajectory)];
        Write(trajectory, bytes);
        return bytes;
    }

    private int Measure(Trajectory t)
    {
        if (t.HasUnknownFields) return t.CalculateSize();
        var size = StringSize(t.TrajectoryId) + StringSize(t.RunId) + StringSize(t.EpisodeId) + StringSize(t.TaskId)
            + StringSize(t.Environment) + StringSize(t.GroupId) + StringSize(t.Split) + StringSize(t.Executor);
        foreach (var segment in t.Segments)
        {
            var slot = _plan.Reserve(); // before the segment's own: the write pass needs its length first
            size += Nested(slot, SegmentWire.Measure(segment, _plan));
        }
        foreach (var step in t.Steps) size += Nested(_plan.Reserve(), StepWire.Measure(step));
        if (t.Reward is { } reward) size += Nested(_plan.Reserve(), RewardWire.Measure(reward));
        if (t.Outcome is { } outcome) size += Nested(_plan.Reserve(), OutcomeWire.Measure(outcome));
        if (t.Timings is { } timings) size += Nested(_plan.Reserve(), TimingsWire.Measure(timings));
        foreach (var (key, value) in t.Labels) size += 1 + WireSizes.LengthPrefixed(StringSize(key) + StringSize(value));
        return size;
    }

    /// <summary>Keeps a nested message's size in its slot for the write pass; returns its tag, length prefix and body size.</summary>
    private int Nested(int slot, int size)
    {
        _plan.Set(slot, size);
        return 1 + WireSizes.LengthPrefixed(size);
    }

    private void WriteFields(Trajectory t, ref WireSpanWriter writer)
    {
        WriteString(ref writer, TrajectoryId, t.TrajectoryId);
        WriteString(ref writer, RunId, t.RunId);
        WriteString(ref writer, EpisodeId, t.EpisodeId);
        WriteString(ref writer, TaskId, t.TaskId);
        WriteString(ref writer, Environment, t.Environment);
        WriteString(ref writer, GroupId, t.GroupId);
        WriteString(ref writer, Split, t.Split);
        WriteString(ref writer, Executor, t.Executor);
        for (var i = 0; i < t.Segments.Count; i++)
        {
            var size = Prefix(ref writer, Segments);
            var start = writer.Position;
            if (!SegmentWire.Write(t.Segments[i], size, _plan, ref writer))
                throw new InvalidOperationException($"Trajectory {t.TrajectoryId} changed between Size and Write: segments[{i}].token_ids no longer fit the size measured for them");
            CheckWritten(t, "segments", i, size, writer.Position - start);
        }
        for (var i = 0; i < t.Steps.Count; i++)
        {
            var size = Prefix(ref writer, Steps);
            var start = writer.Position;
            StepWire.Write(t.Steps[i], size, ref writer);
            CheckWritten(t, "steps", i, size, writer.Position - start);
        }
        if (t.Reward is { } reward)
        {
            var size = Prefix(ref writer, Reward);
            var start = writer.Position;
            RewardWire.Write(reward, size, ref writer);
            CheckWritten(t, "reward", -1, size, writer.Position - start);
        }
        if (t.Outcome is { } outcome)
        {
            var size = Prefix(ref writer, Outcome);
            var start = writer.Position;
            OutcomeWire.Write(outcome, size, ref writer);
            CheckWritten(t, "outcome", -1, size, writer.Position - start);
        }
        if (t.Timings is { } timings)
        {
            var size = Prefix(ref writer, Timings);
            var start = writer.Position;
            TimingsWire.Write(timings, size, ref writer);
            CheckWritten(t, "timings", -1, size, writer.Position - start);
        }
        foreach (var (key, value) in t.Labels)
        {
            writer.Tag(Labels);
            writer.Varint32((uint)(StringSize(key) + StringSize(value)));
            WriteString(ref writer, EntryKey, key);
            WriteString(ref writer, EntryValue, value);
        }
    }

    /// <summary>Writes a nested message's tag and the length the size pass kept for it; returns the length.</summary>
    private int Prefix(ref WireSpanWriter writer, byte tag)
    {
        var size = _plan.Next();
        writer.Tag(tag);
        writer.Varint32((uint)size);
        return size;
    }

    private static void CheckWritten(Trajectory t, string field, int index, int sized, int written)
    {
        if (sized == written) return;
        var name = index < 0 ? field : $"{field}[{index}]";
        throw new InvalidOperationException($"Trajectory {t.TrajectoryId} changed between Size and Write: {name} was sized {sized} bytes, wrote {written}");
    }
}
