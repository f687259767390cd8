using System.Runtime.CompilerServices;
using AgentOps.Trainer.Engine;

namespace AgentOps.Trainer.Tests;

internal static class TorchTestSetup
{
    /// <summary>Before any test touches TorchSharp: libgomp reads OMP_WAIT_POLICY once, when libtorch loads.</summary>
#pragma warning disable CA2255 // a test assembly's own set-up, as the trainer's Program does first thing
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void PrepareEnvironment() => TorchRuntime.PrepareEnvironment();
}
