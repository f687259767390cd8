// The MSBuild task behind LibTorchSharpGlibcxx.targets (compiled by RoslynCodeTaskFactory at build time; README,
// "libstdc++ on Debian 12"). It marks one version need of a shared library weak (VER_FLG_WEAK in its Vernaux entry,
// the ELF gABI's GNU symbol versioning) so that glibc's loader accepts a libstdc++ that lacks that version. It refuses,
// failing the build, unless every symbol under that version is undefined, in the allowed list and named by no
// relocation: then nothing ever binds to it and the weak need changes nothing else. A no-op when the system libstdc++
// already defines the version, and when the need is already weak (incremental builds).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class WeakenVersionNeed : Task
{
    private const uint ShtRela = 4, ShtDynsym = 11, ShtVerneed = 0x6ffffffe, ShtVersym = 0x6fffffff;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>The shared library to patch in place (a copy in an output folder, never the NuGet cache).</summary>
    [Required] public string Library { get; set; } = "";

    /// <summary>The needed version, e.g. GLIBCXX_3.4.32.</summary>
    [Required] public string Version { get; set; } = "";

    /// <summary>The only symbols that may carry that version (';'-separated).</summary>
    [Required] public string AllowedSymbols { get; set; } = "";

    /// <summary>Where the system's copy of the providing library may be (';'-separated); the first that exists is read.</summary>
    [Required] public string SystemLibraries { get; set; } = "";

    /// <summary>What happened: "weakened", "already-weak", "system-has-version" or "not-needed".</summary>
    [Output] public string Result { get; set; } = "";

    public override bool Execute()
    {
        try
        {
            var system = SystemLibraries.Split(';').Select(s => s.Trim()).FirstOrDefault(s => s.Length > 0 && File.Exists(s));
            if (system != null && Contains(File.ReadAllBytes(system), Encoding.ASCII.GetBytes(Version + "\0")))
            {
                Result = "system-has-version";
                return true;
            }
            var bytes = File.ReadAllBytes(Library);
            Result = Weaken(bytes, Version, new HashSet<string>(AllowedSymbols.Split(';').Where(s => s.Length > 0)));
            if (Result == "weakened")
            {
                // Keep the timestamp: MSBuild's incremental copy then sees the package's file unchanged and leaves ours be.
                var stamp = File.GetLastWriteTimeUtc(Library);
                File.WriteAllBytes(Library, bytes);
                File.SetLastWriteTimeUtc(Library, stamp);
                Log.LogMessage(MessageImportance.Normal, $"{Library}: need of {Version} marked weak ({system ?? "no system library found"} lacks it)");
            }
            return true;
        }
        catch (InvalidDataException e)
        {
            Log.LogError($"{Library}: {e.Message} (README, \"libstdc++ on Debian 12\")");
            return false;
        }
    }

    private static string Weaken(byte[] b, string version, HashSet<string> allowed)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1)
            throw new InvalidDataException("not a little-endian 64-bit ELF file");
        var shoff = (long)U64(b, 0x28);
        int shentsize = U16(b, 0x3a), shnum = U16(b, 0x3c);
        var sections = Enumerable.Range(0, shnum).Select(i => shoff + (long)i * shentsize)
            .Select(o => (Type: U32(b, o + 4), Offset: (long)U64(b, o + 0x18), Size: (long)U64(b, o + 0x20), Link: (int)U32(b, o + 0x28), Info: U32(b, o + 0x2c)))
            .ToArray();
        var verneed = sections.FirstOrDefault(s => s.Type == ShtVerneed);
        if (verneed.Type == 0) return "not-needed";
        var strtab = sections[verneed.Link].Offset;
        long flagsAt = -1;
        var index = -1;
        var entry = verneed.Offset;
        for (var n = 0; n < verneed.Info; n++)
        {
            var aux = entry + U32(b, entry + 8);
            for (var k = 0; k < U16(b, entry + 2); k++)
            {
                if (Str(b, strtab + U32(b, aux + 8)) == version)
                {
                    flagsAt = aux + 4;
                    index = U16(b, aux + 6);
                }
                aux += U32(b, aux + 12);
            }
            entry += U32(b, entry + 12);
        }
        if (flagsAt < 0) return "not-needed";
        if ((U16(b, flagsAt) & VerFlgWeak) != 0) return "already-weak";

        var dynsym = sections.First(s => s.Type == ShtDynsym);
        var versym = sections.First(s => s.Type == ShtVersym);
        var dynstr = sections[dynsym.Link].Offset;
        var users = new List<int>();
        for (var i = 0; i < dynsym.Size / 24; i++)
        {
            if ((U16(b, versym.Offset + 2L * i) & 0x7fff) != index) continue;
            var sym = dynsym.Offset + 24L * i;
            var name = Str(b, dynstr + U32(b, sym));
            if (!allowed.Contains(name) || U16(b, sym + 6) != 0)
                throw new InvalidDataException($"symbol {name} needs {version}: only an undefined {string.Join(", ", allowed)} may; this library needs a newer libstdc++ than the system's");
            users.Add(i);
        }
        foreach (var rela in sections.Where(s => s.Type == ShtRela))
        {
            for (var r = rela.Offset; r < rela.Offset + rela.Size; r += 24)
            {
                if (users.Contains((int)(U64(b, r + 8) >> 32)))
                    throw new InvalidDataException($"a relocation binds a symbol of {version}: it cannot be left unresolved");
            }
        }
        var flags = (ushort)(U16(b, flagsAt) | VerFlgWeak);
        b[flagsAt] = (byte)flags;
        b[flagsAt + 1] = (byte)(flags >> 8);
        return "weakened";
    }

    private static ushort U16(byte[] b, long o) => (ushort)(b[o] | b[o + 1] << 8);
    private static uint U32(byte[] b, long o) => (uint)(U16(b, o) | U16(b, o + 2) << 16);
    private static ulong U64(byte[] b, long o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;

    private static string Str(byte[] b, long o)
    {
        var end = Array.IndexOf(b, (byte)0, (int)o);
        return Encoding.ASCII.GetString(b, (int)o, end - (int)o);
    }

    private static bool Contains(byte[] haystack, byte[] needle)
    {
        for (var i = Array.IndexOf(haystack, needle[0]); i >= 0 && i <= haystack.Length - needle.Length; i = Array.IndexOf(haystack, needle[0], i + 1))
        {
            var j = 1;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }
}
