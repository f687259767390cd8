using System.Runtime.InteropServices;
using TorchSharp;

namespace AgentOps.Trainer.Engine;

/// <summary>TorchSharp's native libraries did not load; the message says which and what to do.</summary>
public sealed class TorchLoadException(string message) : Exception(message)
{
    /// <summary>The loader's own error for libLibTorchSharp.so (dlerror, through NativeLibrary.Load) plus the fix for
    /// the known cause, or TorchSharp's message when the library cannot be found at all.</summary>
    internal static string Diagnose(Exception e)
    {
        var dir = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? AppContext.BaseDirectory;
        var candidates = new[] { Path.Combine(dir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"), Path.Combine(dir, "libLibTorchSharp.so") };
        var path = candidates.FirstOrDefault(File.Exists);
        if (path is null)
            return $"TorchSharp did not load: libLibTorchSharp.so is not in {dir} (looked at {string.Join(", ", candidates)}); " +
                   $"build with `make build`. TorchSharp said: {Innermost(e).Message}";
        string loader;
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(path));
            loader = "it loads on its own now, so a library it needs failed first";
        }
        catch (DllNotFoundException d)
        {
            loader = d.Message;
        }
        var hint = loader.Contains("GLIBCXX_", StringComparison.Ordinal)
            ? " The system libstdc++ is older than the one TorchSharp was built with: the build marks that version need weak " +
              "where it is safe (trainer/build/LibTorchSharpGlibcxx.targets, README \"libstdc++ on Debian 12\"); rebuild with `make build`."
            : "";
        return $"TorchSharp did not load {path}: {loader}.{hint}";
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
