using System.Diagnostics;
using AgentOps.Trainer.Model;
using AgentOps.Trainer.Torch;

namespace AgentOps.Bench.Torch;

/// <summary>
/// libtorch speed on this machine: the 1024^3 GEMM peak, training tokens/s and achieved GFLOP/s as a fraction of
/// that peak (the CPU "MFU") for the tiny and small presets, and batched generation tokens/s.
/// Device: $AGENTOPS_BENCH_DEVICE (cpu, cuda, auto; default auto).
/// </summary>
public sealed class TorchBench : IBench
{
    public string Name => "torch";

    private const int SeqLen = 256, Batch = 16;

    public Task RunAsync(BenchTable table)
    {
        TorchRuntime.Initialize();
        var device = Device.Parse(Environment.GetEnvironmentVariable("AGENTOPS_BENCH_DEVICE") ?? "auto");
        var gemm = GemmCheck.Measure(device, 1024, repeats: 10);
        table.Add(Name, "gemm_1024_gflops", gemm.GFlops, "GFLOP/s", $"{device}, {gemm.Threads} threads, libtorch {TorchRuntime.Version}");
        foreach (var config in new[] { ModelConfig.Tiny, ModelConfig.Small })
        {
            var (tps, gflops) = Train(config, device);
            table.Add(Name, $"train_{config.Preset}_tokens_per_s", tps, "tokens/s", $"batch {Batch}x{SeqLen}, fwd+bwd+AdamW");
            table.Add(Name, $"train_{config.Preset}_gflops", gflops, "GFLOP/s", "matmul FLOPs: 3x forward");
            table.Add(Name, $"train_{config.Preset}_mfu", gflops / gemm.GFlops, "fraction", "of the GEMM peak above");
        }
        foreach (var config in new[] { ModelConfig.Tiny, ModelConfig.Small })
        foreach (var batch in new[] { 1, 32 })
        {
            var tps = Generate(config, device, batch);
            table.Add(Name, $"generate_{config.Preset}_b{batch}_tokens_per_s", tps, "tokens/s", "prompt 64, 128 new, temperature 1");
        }
        // A late turn of an evaluation: long prompts, so each decode step attends ~400-500 keys per row.
        var late = Generate(ModelConfig.Tiny, device, 16, prompt: 400, newTokens: 96);
        table.Add(Name, "generate_tiny_b16_p400_tokens_per_s", late, "tokens/s", "prompt 400, 96 new, temperature 1");
        return Task.CompletedTask;
    }

    private static (double TokensPerS, double GFlops) Train(ModelConfig config, Device device)
    {
        using var model = new Transformer(config, seed: 1, device);
        using var opt = new AdamW(model.NamedParameters(), new AdamWOptions { LearningRate = 1e-3 });
        var rng = new Random(1);
        var seqs = Enumerable.Range(0, Batch).Select(_ => Enumerable.Range(0, SeqLen + 1).Select(_ => rng.Next(256)).ToArray()).ToList();
        void Step()
        {
            using var scope = DisposeScope.Begin();
            var batch = TokenBatch.Create(seqs, device: device);
            opt.ZeroGrad();
            NextTokenLoss.Compute(model, batch).Backward();
            GradClip.ClipGradNorm(model.Parameters(), 1.0);
            opt.Step();
        }
        Step();
        Step();
        TorchRuntime.Synchronize(device);
        var sw = Stopwatch.StartNew();
        var steps = 0;
        while (steps < 3 || sw.Elapsed.TotalSeconds < 10)
        {
            Step();
            steps++;
        }
        TorchRuntime.Synchronize(device);
        var tokens = (double)steps * Batch * SeqLen;
        var tps = tokens / sw.Elapsed.TotalSeconds;
        return (tps, tps * 3 * config.ForwardFlopsPerToken(SeqLen) / 1e9);
    }

    private static double Generate(ModelConfig config, Device device, int batch, int prompt = 64, int newTokens = 128)
    {
        using var model = new Transformer(config, seed: 1, device);
        var gen = new Generator(model);
        var rng = new Random(2);
        var reqs = Enumerable.Range(0, batch)
            .Select(i => new GenerationRequest(Enumerable.Range(0, prompt).Select(_ => rng.Next(256)).ToArray(), newTokens, Seed: (ulong)i + 1))
            .ToList();
        gen.Generate(reqs.Take(1).Select(r => r with { MaxNewTokens = 4 }).ToList());
        var sw = Stopwatch.StartNew();
        long tokens = 0;
        var rounds = 0;
        while (rounds < 1 || sw.Elapsed.TotalSeconds < 5)
        {
            tokens += gen.Generate(reqs).Sum(r => r.Tokens.Length);
            rounds++;
        }
        return tokens / sw.Elapsed.TotalSeconds;
    }
}
