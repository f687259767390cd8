using System.Text.Json;
using AgentOps.Trainer.Checkpoints;
using AgentOps.Trainer.Engine;
using AgentOps.Trainer.Model;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Tests.Checkpoints;

/// <summary>
/// Fixtures/libtorch-1.13-shim: a 2-layer d=16 model and its AdamW state after 2 steps, saved by the trainer before
/// TorchSharp (libtorch 1.13 through trainer/native, commit a19baae), with the logits that engine computed at
/// initialisation, after loading, and after one more step. The TorchSharp engine must read it, reproduce those numbers
/// (a second engine's opinion on the model code: the same init from the same seed, the same forward, the same AdamW
/// step), and name what wrote a checkpoint when it refuses one.
/// </summary>
public sealed class OldCheckpointTests : IDisposable
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Checkpoints", "Fixtures", "libtorch-1.13-shim");
    private readonly string _dir = Directory.CreateTempSubdirectory("agentops-old-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed record Expected(string Engine, int[][] Sequences, float[] InitLastLogits, float[] SavedLastLogits, float NextStepLoss, float[] NextStepLastLogits);

    private static Expected Read() =>
        JsonSerializer.Deserialize<Expected>(File.ReadAllText(Path.Combine(Fixture, "expected.json")), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

    [Fact]
    public void A_checkpoint_of_the_libtorch_1_13_trainer_loads_and_computes_what_that_engine_did()
    {
        var expected = Read();
        var dir = Path.Combine(Fixture, "step-2");
        var config = CheckpointStore.ReadConfig(dir);
        Assert.Equal("fixture", config.Preset);
        using var model = new Transformer(config, seed: 5);
        var data = expected.Sequences.ToList();
        AssertClose(expected.InitLastLogits, LastLogits(model, data), 1e-5, "seeded initialisation");

        using var opt = new NamedAdamW(model.named_parameters(), new AdamWOptions { LearningRate = 1 }, model.NoDecay);
        var state = CheckpointStore.LoadInto(dir, model, opt);
        Assert.Equal(2, state.Step);
        Assert.Equal(2, opt.StepCount);
        Assert.Equal(1e-2, opt.LearningRate);
        AssertClose(expected.SavedLastLogits, LastLogits(model, data), 1e-5, "after loading");

        float loss;
        using (NewDisposeScope())
        {
            opt.ZeroGrad();
            var l = NextTokenLoss.Compute(model, TokenBatch.Create(data));
            l.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            opt.Step();
            loss = l.item<float>();
        }
        Assert.Equal(expected.NextStepLoss, loss, 4);
        Assert.Equal(3, opt.StepCount);
        AssertClose(expected.NextStepLastLogits, LastLogits(model, data), 1e-4, "after one more AdamW step from the loaded moments");
    }

    [Fact]
    public void Files_say_what_wrote_them_and_an_unknown_layout_is_refused_naming_it()
    {
        var old = Path.Combine(Fixture, "step-2");
        Assert.Contains("libtorch 1.13 shim", CheckpointStore.WrittenBy(SafeTensors.Read(Path.Combine(old, CheckpointStore.ModelFile))));

        using var model = new Transformer(CheckpointStore.ReadConfig(old), seed: 1);
        var path = new CheckpointStore(_dir).Save("sft", model, null, new TrainerState());
        var file = SafeTensors.Read(Path.Combine(path, CheckpointStore.ModelFile));
        Assert.Equal("1", file.Metadata[CheckpointStore.LayoutKey]);
        Assert.StartsWith("written by TorchSharp 0.107.0, libtorch 2.10.0", CheckpointStore.WrittenBy(file));

        // A later layout (say, one that adds tensors) is refused with both versions named, before any weight is copied.
        using (NewDisposeScope())
        {
            var tensors = file.Tensors.Select(kv => (kv.Key, kv.Value.ToTensor())).ToList();
            var metadata = new Dictionary<string, string>(file.Metadata) { [CheckpointStore.LayoutKey] = "2", [CheckpointStore.EngineKey] = "agentops-trainer from the future" };
            SafeTensors.Write(Path.Combine(path, CheckpointStore.ModelFile), tensors, metadata);
        }
        var e = Assert.Throws<InvalidDataException>(() => CheckpointStore.LoadInto(path, model, null));
        Assert.Contains("layout \"2\" (written by agentops-trainer from the future)", e.Message);
        Assert.Contains("reads layout 1 only", e.Message);
    }

    private static float[] LastLogits(Transformer model, List<int[]> data)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var batch = TokenBatch.Create(data);
        return model.Forward(batch.Inputs).select(1, batch.Length - 1).ToFloats();
    }

    private static void AssertClose(float[] want, float[] got, double tolerance, string what)
    {
        Assert.Equal(want.Length, got.Length);
        var worst = want.Zip(got).Max(x => Math.Abs(x.First - x.Second));
        Assert.True(worst <= tolerance, $"{what}: largest difference {worst:G3} over {want.Length} logits (tolerance {tolerance})");
    }
}
