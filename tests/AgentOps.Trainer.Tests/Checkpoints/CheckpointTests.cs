using System.Diagnostics;
using AgentOps.Trainer.Checkpoints;
using AgentOps.Trainer.Model;
using AgentOps.Trainer.Tests.Model;
using AgentOps.Trainer.Engine;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Tests.Checkpoints;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentops-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly List<int[]> Data = [TinyModels.Seq("x = 2 + 3</code>"), TinyModels.Seq("<answer>5</answer>")];

    [Fact]
    public void Save_then_load_gives_identical_logits_and_an_identical_next_update()
    {
        using var model = new Transformer(TinyModels.Micro, seed: 21);
        using var opt = new NamedAdamW(model.named_parameters(), new AdamWOptions { LearningRate = 3e-3 });
        Step(model, opt, 3);
        var store = new CheckpointStore(Path.Combine(_dir, "checkpoints"));
        var state = new TrainerState { Step = 3, PolicyVersion = 3, Phase = "rl", Seed = 7, ConsumerPosition = "1700000000000-5" };
        var path = store.SaveStep(model, opt, state, keep: 2);

        using var restored = new Transformer(TinyModels.Micro, seed: 999); // different init, overwritten by the load
        using var opt2 = new NamedAdamW(restored.named_parameters(), new AdamWOptions { LearningRate = 1 });
        var loaded = CheckpointStore.LoadInto(path, restored, opt2);
        Assert.Equal(state with { SavedAtUnixSeconds = loaded.SavedAtUnixSeconds, ModelPreset = "micro", Extra = loaded.Extra }, loaded);
        Assert.Equal(3, opt2.StepCount);
        Assert.Equal(3e-3, opt2.LearningRate);
        Assert.Equal(Logits(model), Logits(restored));

        Step(model, opt, 1);
        Step(restored, opt2, 1);
        var a = model.parameters().Select(p => p.ToFloats()).ToArray();
        var b = restored.parameters().Select(p => p.ToFloats()).ToArray();
        for (var i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
    }

    [Fact]
    public void Latest_follows_the_newest_step_and_old_steps_are_pruned()
    {
        using var model = new Transformer(TinyModels.Micro, seed: 22);
        var store = new CheckpointStore(_dir);
        for (var s = 1; s <= 4; s++) store.SaveStep(model, null, new TrainerState { Step = s }, keep: 2);
        Assert.Equal([3L, 4L], store.StepCheckpoints().Select(x => x.Step));
        Assert.Equal(Path.Combine(store.Root, "step-4"), store.LatestPath());
        Assert.Equal(4, CheckpointStore.ReadState(Path.Combine(_dir, CheckpointStore.Latest)).Step);
        Assert.Empty(Directory.GetFileSystemEntries(_dir, ".*"));
        using var served = CheckpointStore.LoadModel(Path.Combine(_dir, CheckpointStore.Latest));
        Assert.Equal(Logits(model), Logits(served));
    }

    [Fact]
    public void Loading_into_a_different_shape_names_the_mismatch()
    {
        using var model = new Transformer(TinyModels.Micro, seed: 23);
        var path = new CheckpointStore(_dir).Save("sft", model, null, new TrainerState());
        using var other = new Transformer(TinyModels.Micro with { Dim = 32 }, seed: 1);
        var e = Assert.Throws<InvalidDataException>(() => CheckpointStore.LoadInto(path, other, null));
        Assert.Contains("\"dim\": 32", e.Message);

        // A longer context window reuses the same weights.
        using var longer = new Transformer(TinyModels.Micro with { ContextLength = 200 }, seed: 1);
        CheckpointStore.LoadInto(path, longer, null);
        Assert.Equal(Logits(model), Logits(longer));
    }

    [Fact]
    public void File_follows_the_safetensors_layout_read_by_an_independent_parser()
    {
        var file = Path.Combine(_dir, "t.safetensors");
        using (var scope = NewDisposeScope())
        {
            SafeTensors.Write(file, [("a", tensor(new[] { 1.5f, -2f, 3.25f }, [3, 1])), ("ids", tensor(new[] { 7L, 8L }, [2]))],
                new Dictionary<string, string> { ["who"] = "test" });
        }
        // Python's struct + json following the spec: u64 LE header size, JSON header, data from 8 + size.
        const string script = """
            import json, struct, sys
            b = open(sys.argv[1], 'rb').read()
            n = struct.unpack('<Q', b[:8])[0]
            assert n % 8 == 0, n
            h = json.loads(b[8:8 + n])
            d = b[8 + n:]
            a = h['a']; s, e = a['data_offsets']
            i = h['ids']; s2, e2 = i['data_offsets']
            print(a['dtype'], a['shape'], struct.unpack('<3f', d[s:e]), i['dtype'], struct.unpack('<2q', d[s2:e2]), h['__metadata__']['who'])
            """;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script.Replace("\n            ", "\n"));
        psi.ArgumentList.Add(file);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var err = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "python did not finish");
        Assert.True(p.ExitCode == 0, err);
        Assert.Equal("F32 [3, 1] (1.5, -2.0, 3.25) I64 (7, 8) test", output.Trim());

        var back = SafeTensors.Read(file);
        using var t = back.Tensors["a"].ToTensor();
        Assert.Equal([1.5f, -2f, 3.25f], t.ToFloats());
        Assert.Equal("test", back.Metadata["who"]);
    }

    [Fact]
    public void A_truncated_file_is_rejected_with_the_reason()
    {
        var file = Path.Combine(_dir, "bad.safetensors");
        using (NewDisposeScope()) SafeTensors.Write(file, [("w", zeros(4, 4))]);
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..^8]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(file));
        Assert.Contains("tensor 'w'", e.Message);
        Assert.Contains("data_offsets", e.Message);
    }

    private static float[] Logits(Transformer m)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return m.Forward(TokenBatch.Create(Data).Inputs).ToFloats();
    }

    private static void Step(Transformer m, NamedAdamW opt, int steps)
    {
        for (var i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            opt.ZeroGrad();
            NextTokenLoss.Compute(m, TokenBatch.Create(Data)).backward();
            nn.utils.clip_grad_norm_(m.parameters(), 1.0);
            opt.Step();
        }
    }
}
