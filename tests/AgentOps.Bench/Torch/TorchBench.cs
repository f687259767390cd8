using System.Diagnostics;
using AgentOps.Trainer.Engine;
using AgentOps.Trainer.Model;
using TorchSharp;
using static TorchSharp.torch;
using Generator = AgentOps.Trainer.Model.Generator;

namespace AgentOps.Bench.Torch;

/// <summary>
/// The tensor engine on this machine, TorchSharp (libtorch 2.10) against the libtorch 1.13 shim it replaced, in the
/// same run: the 1024^3 GEMM peak, training tokens/s for the tiny and small presets with the fraction of the better
/// GEMM peak they reach (CPU "MFU"), and batched generation tokens/s. The old engine is the bench of the last commit
/// with trainer/native, built by scripts/bench-torch-old.sh into a temporary folder ($AGENTOPS_BENCH_OLD_TORCH names
/// its AgentOps.Bench.dll; `make bench` sets it) and run as a child process between rounds of the new one, so both
/// see the same load. Rows are the best of $AGENTOPS_BENCH_ROUNDS rounds (2) per engine; the box is shared, so only
/// the same-run ratios count, and `uptime` is printed beside them. Device: $AGENTOPS_BENCH_DEVICE (cpu, cuda, auto;
/// default auto).
/// </summary>
public sealed class TorchBench : IBench
{
    public string Name => "torch";

    private const int SeqLen = 256, Batch = 16;

    /// <summary>Issue 16: training the small preset reaches at least this fraction of the better same-run GEMM peak.</summary>
    private const double SmallMfuTarget = 0.40;

    /// <summary>The rows both engines print, in order (the old bench's metric names).</summary>
    private static readonly string[] Compared =
    [
        "gemm_1024_gflops", "train_tiny_tokens_per_s", "train_small_tokens_per_s",
        "generate_tiny_b1_tokens_per_s", "generate_tiny_b32_tokens_per_s", "generate_small_b1_tokens_per_s",
        "generate_small_b32_tokens_per_s", "generate_tiny_b16_p400_tokens_per_s",
    ];

    public Task RunAsync(BenchTable table)
    {
        TorchRuntime.Initialize();
        var device = TorchDevices.Resolve(Environment.GetEnvironmentVariable("AGENTOPS_BENCH_DEVICE") ?? "auto", "AGENTOPS_BENCH_DEVICE");
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("AGENTOPS_BENCH_ROUNDS"), out var r) && r > 0 ? r : 2;
        var oldBench = Environment.GetEnvironmentVariable("AGENTOPS_BENCH_OLD_TORCH") ?? "";
        table.Add(Name, "uptime_start", double.NaN, "", Uptime());
        var news = new List<Dictionary<string, double>>();
        var olds = new List<Dictionary<string, double>>();
        string? oldProblem = oldBench.Length == 0 || !File.Exists(oldBench)
            ? $"old engine not built (AGENTOPS_BENCH_OLD_TORCH='{oldBench}'; `make bench BENCH=torch` builds it with scripts/bench-torch-old.sh)"
            : null;
        var extra = new Dictionary<string, double>();
        for (var i = 0; i < rounds; i++)
        {
            // Alternate which engine goes first, so neither always gets the quieter half of a round.
            var oldFirst = i % 2 == 0;
            if (oldFirst && oldProblem is null) RunOld(oldBench, olds, ref oldProblem);
            Console.Error.WriteLine($"bench torch: round {i + 1}/{rounds}, TorchSharp ({Uptime()})");
            news.Add(RunNew(device, extra));
            if (!oldFirst && oldProblem is null) RunOld(oldBench, olds, ref oldProblem);
        }
        var best = Best(news);
        var bestOld = olds.Count > 0 ? Best(olds) : null;
        var peak = Math.Max(best["gemm_1024_gflops"], bestOld?.GetValueOrDefault("gemm_1024_gflops") ?? 0);
        var blas = GemmCheck.Blas(device);
        foreach (var metric in Compared)
        {
            var unit = metric.StartsWith("gemm", StringComparison.Ordinal) ? "GFLOP/s" : "tokens/s";
            table.Add(Name, metric, best[metric], unit, Note(metric, blas));
            if (bestOld is not null && bestOld.TryGetValue(metric, out var o))
            {
                table.Add(Name, metric + "_old", o, unit, "libtorch 1.13 shim (OpenBLAS), same run");
                table.Add(Name, metric + "_new_over_old", best[metric] / o, "ratio", "best of rounds each");
            }
        }
        foreach (var preset in new[] { "tiny", "small" })
        {
            var flops = best[$"train_{preset}_gflops"];
            var target = preset == "small" ? $"; target >= {SmallMfuTarget} ({(flops / peak >= SmallMfuTarget ? "met" : "NOT met")})" : "";
            table.Add(Name, $"train_{preset}_mfu", flops / peak, "fraction", $"{flops:F1} GFLOP/s of the better GEMM peak of the run, {peak:F1}{target}");
            if (bestOld?.GetValueOrDefault($"train_{preset}_gflops") is > 0 and var oldFlops)
                table.Add(Name, $"train_{preset}_mfu_old", oldFlops / peak, "fraction", "the old engine, same peak");
        }
        table.Add(Name, "gemm_1024_bf16_gflops", extra["bf16_gflops"], "GFLOP/s", "bfloat16 (AVX512_BF16 here): not used for training, see README");
        table.Add(Name, "train_small_adamw_ms", extra["adamw_ms"], "ms", $"TorchSharp's AdamW step, small preset ({extra["adamw_share"]:P1} of a training step)");
        table.Add(Name, "attention_sdpa_train_ms", extra["sdpa_ms"], "ms", "fwd+bwd, [16,4,256,64] causal: scaled_dot_product_attention");
        table.Add(Name, "attention_math_train_ms", extra["math_ms"], "ms", "the same written as matmul/mask/softmax/matmul (the 1.13 shim's way)");
        table.Add(Name, "attention_sdpa_decode_us", extra["sdpa_decode_us"], "us", "one query x 400 cached keys, [32,4,*,32], key mask: scaled_dot_product_attention");
        table.Add(Name, "attention_matmul_decode_us", extra["matmul_decode_us"], "us", "the same as matmul/softmax/matmul");
        table.Add(Name, "attention_math_decode_us", extra["math_decode_us"], "us", "the same as broadcast-multiply and sum (the 1.13 shim's decode path)");
        if (oldProblem is not null) table.Add(Name, "old_engine", double.NaN, "", oldProblem);
        table.Add(Name, "uptime_end", double.NaN, "", Uptime());
        return Task.CompletedTask;
    }

    private static string Note(string metric, string blas) => metric switch
    {
        "gemm_1024_gflops" => $"{TorchRuntime.NumThreads} threads, {TorchRuntime.Describe()}, BLAS {blas}",
        _ when metric.StartsWith("train", StringComparison.Ordinal) => $"batch {Batch}x{SeqLen}, fwd+bwd+AdamW",
        _ when metric.Contains("p400", StringComparison.Ordinal) => "prompt 400, 96 new, temperature 1",
        _ => "prompt 64, 128 new, temperature 1",
    };

    private static Dictionary<string, double> Best(List<Dictionary<string, double>> rounds) =>
        rounds.SelectMany(x => x).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Max(kv => kv.Value));

    private static Dictionary<string, double> RunNew(Device device, Dictionary<string, double> extra)
    {
        var m = new Dictionary<string, double> { ["gemm_1024_gflops"] = GemmCheck.Measure(device, 1024, repeats: 10).GFlops };
        foreach (var config in new[] { ModelConfig.Tiny, ModelConfig.Small })
        {
            var (tps, gflops, adamwMs, stepMs) = Train(config, device);
            m[$"train_{config.Preset}_tokens_per_s"] = tps;
            m[$"train_{config.Preset}_gflops"] = gflops;
            if (config == ModelConfig.Small && (!extra.TryGetValue("adamw_ms", out var seen) || adamwMs < seen))
            {
                extra["adamw_ms"] = adamwMs;
                extra["adamw_share"] = adamwMs / stepMs;
            }
        }
        foreach (var config in new[] { ModelConfig.Tiny, ModelConfig.Small })
        foreach (var batch in new[] { 1, 32 })
            m[$"generate_{config.Preset}_b{batch}_tokens_per_s"] = Generate(config, device, batch);
        // A late turn of an evaluation: long prompts, so each decode step attends ~400-500 keys per row.
        m["generate_tiny_b16_p400_tokens_per_s"] = Generate(ModelConfig.Tiny, device, 16, prompt: 400, newTokens: 96);
        foreach (var (k, v) in AttentionKernels(device)) extra[k] = extra.TryGetValue(k, out var e) ? Math.Min(e, v) : v;
        extra["bf16_gflops"] = Math.Max(extra.GetValueOrDefault("bf16_gflops"), Bf16Gemm(device));
        return m;
    }

    private static (double TokensPerS, double GFlops, double AdamWMs, double StepMs) Train(ModelConfig config, Device device)
    {
        using var model = new Transformer(config, seed: 1, device);
        using var opt = new NamedAdamW(model.named_parameters(), new AdamWOptions { LearningRate = 1e-3 }, model.NoDecay);
        var rng = new Random(1);
        var seqs = Enumerable.Range(0, Batch).Select(_ => Enumerable.Range(0, SeqLen + 1).Select(_ => rng.Next(256)).ToArray()).ToList();
        var adamw = TimeSpan.Zero;
        void Step()
        {
            using var scope = NewDisposeScope();
            var batch = TokenBatch.Create(seqs, device: device);
            opt.ZeroGrad();
            NextTokenLoss.Compute(model, batch).backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            var t = Stopwatch.GetTimestamp();
            opt.Step();
            GemmCheck.Synchronize(device);
            adamw += Stopwatch.GetElapsedTime(t);
        }
        Step();
        Step();
        GemmCheck.Synchronize(device);
        adamw = TimeSpan.Zero;
        var sw = Stopwatch.StartNew();
        var steps = 0;
        while (steps < 3 || sw.Elapsed.TotalSeconds < 10)
        {
            Step();
            steps++;
        }
        GemmCheck.Synchronize(device);
        var tokens = (double)steps * Batch * SeqLen;
        var tps = tokens / sw.Elapsed.TotalSeconds;
        return (tps, tps * 3 * config.ForwardFlopsPerToken(SeqLen) / 1e9, adamw.TotalMilliseconds / steps, sw.Elapsed.TotalMilliseconds / steps);
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

    /// <summary>A 1024^3 bfloat16 product, best of 10 (the GEMM check's float32 one, in bfloat16).</summary>
    private static double Bf16Gemm(Device device)
    {
        using var scope = NewDisposeScope();
        using var g = new torch.Generator(4, CPU);
        var a = randn([1024, 1024], generator: g).to(device).to(ScalarType.BFloat16);
        var b = randn([1024, 1024], generator: g).to(device).to(ScalarType.BFloat16);
        a.matmul(b).Dispose();
        var best = double.MaxValue;
        for (var i = 0; i < 10; i++)
        {
            var t = Stopwatch.GetTimestamp();
            a.matmul(b).Dispose();
            GemmCheck.Synchronize(device);
            best = Math.Min(best, Stopwatch.GetElapsedTime(t).TotalSeconds);
        }
        return 2.0 * 1024 * 1024 * 1024 / best / 1e9;
    }

    /// <summary>libtorch's fused attention against the composition the shim used, for training and for a decode step.</summary>
    private static Dictionary<string, double> AttentionKernels(Device device)
    {
        using var scope = NewDisposeScope();
        using var g = new torch.Generator(3, CPU);
        Tensor R(params long[] shape) => randn(shape, generator: g).to(device);
        var (q, k, v) = (R(16, 4, 256, 64).requires_grad_(), R(16, 4, 256, 64).requires_grad_(), R(16, 4, 256, 64).requires_grad_());
        Tensor Math(Tensor q, Tensor k, Tensor v)
        {
            var scores = (q * (1.0 / System.Math.Sqrt(q.size(-1)))).matmul(k.transpose(-2, -1));
            var blocked = ones(q.size(-2), k.size(-2), dtype: ScalarType.Bool, device: q.device).triu(1);
            return scores.masked_fill(blocked, Functional.Blocked).softmax(-1).matmul(v);
        }
        double Time(Action a, int n)
        {
            a();
            var best = double.MaxValue;
            for (var i = 0; i < n; i++)
            {
                var t = Stopwatch.GetTimestamp();
                a();
                GemmCheck.Synchronize(device);
                best = System.Math.Min(best, Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
            return best;
        }
        var result = new Dictionary<string, double>
        {
            ["sdpa_ms"] = Time(() => { using var s = NewDisposeScope(); Functional.Attention(q, k, v, null).sum().backward(); }, 5),
            ["math_ms"] = Time(() => { using var s = NewDisposeScope(); Math(q, k, v).sum().backward(); }, 5),
        };
        using var noGrad = no_grad();
        var (dq, dk, dv) = (R(32, 4, 1, 32), R(32, 4, 400, 32), R(32, 4, 400, 32));
        var keyBias = zeros(32, 400, device: device);
        keyBias.narrow(1, 0, 17).fill_(Functional.Blocked);
        var bias = Functional.AttentionBias(1, 400, keyBias, device);
        result["sdpa_decode_us"] = 1000 * Time(() => { using var s = NewDisposeScope(); Functional.Attention(dq, dk, dv, bias); }, 50);
        result["matmul_decode_us"] = 1000 * Time(() =>
        {
            using var s = NewDisposeScope();
            ((dq * (1.0 / System.Math.Sqrt(32))).matmul(dk.transpose(-2, -1)) + bias!).softmax(-1).matmul(dv);
        }, 50);
        result["math_decode_us"] = 1000 * Time(() =>
        {
            using var s = NewDisposeScope();
            var scores = (dk * (dq * (1.0 / System.Math.Sqrt(32)))).sum([-1], keepdim: true).transpose(-2, -1) + bias!;
            (scores.softmax(-1).transpose(-2, -1) * dv).sum([-2], keepdim: true);
        }, 50);
        return result;
    }

    /// <summary>Runs the old engine's bench once (its own process) and keeps its torch rows.</summary>
    private void RunOld(string dll, List<Dictionary<string, double>> into, ref string? problem)
    {
        Console.Error.WriteLine($"bench torch: libtorch 1.13 shim ({Uptime()})");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("torch");
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var rows = new Dictionary<string, double>();
        foreach (var line in output.Split('\n'))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 5 || cells[1] != Name) continue;
            if (double.TryParse(cells[3].Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture, out var value)) rows[cells[2]] = value;
        }
        if (p.ExitCode != 0 || !rows.ContainsKey("gemm_1024_gflops"))
            problem = $"the old engine's bench failed (exit {p.ExitCode}): {stderr.Result.Trim().Split('\n').LastOrDefault()}";
        else into.Add(rows);
    }

    private static string Uptime() => File.Exists("/proc/loadavg")
        ? "load average " + string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3))
        : "load unknown";
}
