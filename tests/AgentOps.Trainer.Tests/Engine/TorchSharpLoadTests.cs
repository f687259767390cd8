using System.Diagnostics;
using System.Reflection;
using AgentOps.Trainer.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Tests.Engine;

/// <summary>
/// TorchSharp's native libraries load and compute (fails loudly otherwise: every other trainer test would too, with
/// TorchSharp's long trace), and the build's libstdc++ fix (trainer/build/LibTorchSharpGlibcxx.targets) is what
/// makes them load here, or a no-op where the system libstdc++ is new enough.
/// </summary>
public class TorchSharpLoadTests
{
    private static string NativeDir => Path.Combine(Path.GetDirectoryName(typeof(torch).Assembly.Location)!, "runtimes", "linux-x64", "native");

    private static string PackageCopy =>
        Path.Combine(typeof(TorchSharpLoadTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NuGetPackageRoot").Value!,
            "torchsharp", typeof(torch).Assembly.GetName().Version!.ToString(3), "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void Libtorch_2_10_loads_and_multiplies()
    {
        TorchRuntime.Initialize();
        Assert.StartsWith("2.10", torch.__version__);
        Assert.Equal("cpu", TorchRuntime.Variant);
        using var scope = NewDisposeScope();
        var a = tensor(new[] { 1f, 2f, 3f, 4f }, [2, 2]);
        Assert.Equal([7f, 10f, 15f, 22f], a.matmul(a).ToFloats());
    }

    [Fact]
    public void The_glibcxx_fix_is_what_makes_the_library_load_or_changes_nothing()
    {
        var built = Path.Combine(NativeDir, "libLibTorchSharp.so");
        var original = PackageCopy;
        Assert.True(File.Exists(original), original);
        var systemHasIt = File.ReadAllText("/usr/lib/x86_64-linux-gnu/libstdc++.so.6", System.Text.Encoding.Latin1).Contains("GLIBCXX_3.4.32\0");
        var (okOriginal, errOriginal) = Dlopen(original);
        var (okBuilt, errBuilt) = Dlopen(built);
        Assert.True(okBuilt, errBuilt);
        if (systemHasIt)
        {
            // Ubuntu 24.04 and the like: the package's file is used as it is.
            Assert.True(okOriginal, errOriginal);
            Assert.Equal(File.ReadAllBytes(original), File.ReadAllBytes(built));
        }
        else
        {
            // Debian 12: the package's file does not load; ours differs from it in the one flag.
            Assert.False(okOriginal);
            Assert.Contains("GLIBCXX_3.4.32", errOriginal);
            var diff = File.ReadAllBytes(original).Zip(File.ReadAllBytes(built)).Count(x => x.First != x.Second);
            Assert.Equal(1, diff);
        }
    }

    [Fact]
    public void A_library_that_does_not_load_is_diagnosed_with_the_loaders_error_and_the_fix()
    {
        var message = TorchLoadException.Diagnose(new TypeInitializationException("TorchSharp.torch", new NotSupportedException("TorchSharp trace")));
        // Here the library loads, so the diagnosis says so rather than inventing a cause.
        Assert.Contains("libLibTorchSharp.so", message);
        Assert.Contains("loads on its own", message);
    }

    /// <summary>dlopen in a separate python3 process, so a library that loads does not load into this one twice.</summary>
    private static (bool Ok, string Error) Dlopen(string path)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import ctypes, sys\ntry:\n    ctypes.CDLL(sys.argv[1])\nexcept OSError as e:\n    print(e); sys.exit(3)");
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "python3 did not finish");
        return (p.ExitCode == 0, output.Trim());
    }
}
