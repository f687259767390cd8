namespace AgentOps.Testing.Wire;

/// <summary>Seeded random edits of an encoding, for differential tests of a wire reader against Google.Protobuf's parser.</summary>
public static class WireMutations
{
    /// <summary>One to three edits: a byte replaced or a bit flipped, bytes removed or inserted, the tail cut, a slice repeated.</summary>
    public static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = original.ToList();
        for (var edits = random.Next(1, 4); edits > 0 && bytes.Count > 0; edits--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 2: bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 8))); break;
                case 3: bytes.Insert(at, (byte)random.Next(256)); break;
                case 4: bytes.RemoveRange(at, bytes.Count - at); break; // truncated
                default: // a field-sized slice repeated (repeated scalars, segments given twice)
                    var length = Math.Min(bytes.Count - at, random.Next(2, 40));
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
            }
        }
        return [.. bytes];
    }
}
