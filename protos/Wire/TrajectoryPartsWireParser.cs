using AgentOps.Protos.V1;
using Google.Protobuf.Collections;
using static AgentOps.Protos.Wire.ProtoWire;

namespace AgentOps.Protos.Wire;

/// <summary>
/// The small messages of a Trajectory for <see cref="TrajectoryWireParser"/>: Step, Reward (and its components map),
/// Outcome, Timings and the labels map's entries. Each field with its own wire type only; a field given twice keeps the
/// last value, as in the parser. A map entry with an unknown field is left to the parser (it skips such fields).
/// </summary>
internal static class TrajectoryPartsWireParser
{
    public static bool TryAddStep(ReadOnlySpan<byte> m, RepeatedField<Step> steps)
    {
        var step = new Step();
        var pos = 0;
        while (pos < m.Length)
        {
            if (!TryVarint(m, ref pos, out var tag)) return false;
            (ulong value, string text, double number) = (0, "", 0);
            switch (tag)
            {
                case 8: if (!TryVarint(m, ref pos, out value)) return false; step.Index = (int)value; break;
                case 18: if (!TryString(m, ref pos, out text)) return false; step.Action = text; break;
                case 26: if (!TryString(m, ref pos, out text)) return false; step.Code = text; break;
                case 34: if (!TryString(m, ref pos, out text)) return false; step.Observation = text; break;
                case 40: if (!TryVarint(m, ref pos, out value)) return false; step.CodeError = value != 0; break;
                case 50: if (!TryString(m, ref pos, out text)) return false; step.Feedback = text; break;
                case 57: if (!TryDouble(m, ref pos, out number)) return false; step.SandboxSeconds = number; break;
                case 65: if (!TryDouble(m, ref pos, out number)) return false; step.GenerateSeconds = number; break;
                default: return false;
            }
        }
        steps.Add(step);
        return true;
    }

    public static bool TryMergeReward(ReadOnlySpan<byte> m, Reward reward)
    {
        var pos = 0;
        while (pos < m.Length)
        {
            if (!TryVarint(m, ref pos, out var tag)) return false;
            switch (tag)
            {
                case 9:
                    if (!TryDouble(m, ref pos, out var total)) return false;
                    reward.Total = total;
                    break;
                case 18: // components: one map<string, double> entry (key = 1, value = 2); a key given again replaces its value
                    if (!TryLength(m, ref pos, out var entry) || !TryDoubleEntry(entry, out var key, out var value)) return false;
                    reward.Components[key] = value;
                    break;
                default:
                    return false;
            }
        }
        return true;
    }

    public static bool TryMergeOutcome(ReadOnlySpan<byte> m, Outcome outcome)
    {
        var pos = 0;
        while (pos < m.Length)
        {
            if (!TryVarint(m, ref pos, out var tag)) return false;
            (ulong value, string text) = (0, "");
            switch (tag)
            {
                case 8: if (!TryVarint(m, ref pos, out value)) return false; outcome.Status = (OutcomeStatus)(int)value; break;
                case 18: if (!TryString(m, ref pos, out text)) return false; outcome.Message = text; break;
                case 26: if (!TryString(m, ref pos, out text)) return false; outcome.Answer = text; break;
                default: return false;
            }
        }
        return true;
    }

    public static bool TryMergeTimings(ReadOnlySpan<byte> m, Timings timings)
    {
        var pos = 0;
        while (pos < m.Length)
        {
            if (!TryVarint(m, ref pos, out var tag)) return false;
            (ulong value, double number) = (0, 0);
            switch (tag)
            {
                case 8: if (!TryVarint(m, ref pos, out value)) return false; timings.StartedUnixMs = (long)value; break;
                case 16: if (!TryVarint(m, ref pos, out value)) return false; timings.FinishedUnixMs = (long)value; break;
                case 25: if (!TryDouble(m, ref pos, out number)) return false; timings.GenerateSeconds = number; break;
                case 33: if (!TryDouble(m, ref pos, out number)) return false; timings.SandboxSeconds = number; break;
                case 41: if (!TryDouble(m, ref pos, out number)) return false; timings.TotalSeconds = number; break;
                default: return false;
            }
        }
        return true;
    }

    /// <summary>One map&lt;string, string&gt; entry (the labels); a missing key or value is "", as in the parser.</summary>
    public static bool TryAddStringEntry(ReadOnlySpan<byte> entry, MapField<string, string> map)
    {
        var (key, value) = ("", "");
        var pos = 0;
        while (pos < entry.Length)
        {
            if (!TryVarint(entry, ref pos, out var tag)) return false;
            var ok = tag switch
            {
                10 => TryString(entry, ref pos, out key),
                18 => TryString(entry, ref pos, out value),
                _ => false,
            };
            if (!ok) return false;
        }
        map[key] = value;
        return true;
    }

    /// <summary>One map&lt;string, double&gt; entry; a missing key is "" and a missing value 0, as in the parser.</summary>
    private static bool TryDoubleEntry(ReadOnlySpan<byte> entry, out string key, out double value)
    {
        (key, value) = ("", 0);
        var pos = 0;
        while (pos < entry.Length)
        {
            if (!TryVarint(entry, ref pos, out var tag)) return false;
            var ok = tag switch
            {
                10 => TryString(entry, ref pos, out key),
                17 => TryDouble(entry, ref pos, out value),
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }
}
