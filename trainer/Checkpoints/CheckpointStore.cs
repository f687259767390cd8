using System.Text.Json;
using AgentOps.Trainer.Model;
using AgentOps.Trainer.Engine;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Checkpoints;

/// <summary>
/// Checkpoints under one root (<c>RUN_DIR/checkpoints</c>): each is a folder <c>NAME/</c> holding
/// <c>model.safetensors</c> (weights; metadata "config" = the <see cref="ModelConfig"/> JSON, "layout" = <see cref="Layout"/>,
/// "engine" = what wrote it),
/// <c>optimizer.safetensors</c> (AdamW <c>exp_avg.*</c>/<c>exp_avg_sq.*</c>; metadata "step", "lr") and
/// <c>state.json</c> (<see cref="TrainerState"/>). A folder is written under a temporary name and renamed into
/// place, so a reader never sees half a checkpoint; <c>latest</c> is a symlink switched by rename.
/// </summary>
public sealed partial class CheckpointStore(string root, TimeProvider? time = null)
{
    /// <summary>File names inside a checkpoint folder.</summary>
    public const string ModelFile = "model.safetensors", OptimizerFile = "optimizer.safetensors", StateFile = "state.json";

    /// <summary>The symlink to the newest step checkpoint.</summary>
    public const string Latest = "latest";

    /// <summary>Metadata keys of model.safetensors: the layout version and the engine that wrote the file.</summary>
    public const string LayoutKey = "layout", EngineKey = "engine";

    /// <summary>The tensor names and shapes this trainer reads and writes. Files without a "layout" key were written
    /// by the libtorch 1.13 shim (trainer/native, up to a19baae) in the same layout, so they read as 1.</summary>
    public const int Layout = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The root folder.</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Folder name of a step checkpoint.</summary>
    public static string StepName(long step) => $"step-{step}";

    /// <summary>Writes checkpoint <paramref name="name"/> (e.g. "sft" or <see cref="StepName"/>) atomically; replaces
    /// an existing one of that name. <paramref name="optimizer"/> may be null (weights only). Returns its folder.</summary>
    public string Save(string name, Transformer model, NamedAdamW? optimizer, TrainerState state)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('/') || name == Latest || name.StartsWith('.'))
            throw new ArgumentException($"checkpoint name: must be a plain folder name other than '{Latest}', got '{name}'", nameof(name));
        Directory.CreateDirectory(Root);
        var final = Path.Combine(Root, name);
        var tmp = Path.Combine(Root, $".{name}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            SafeTensors.Write(Path.Combine(tmp, ModelFile), model.named_parameters().Select(x => (x.name, (Tensor)x.parameter)),
                new Dictionary<string, string> { ["format"] = "pt", ["config"] = JsonSerializer.Serialize(model.Config, Json), [LayoutKey] = Layout.ToString(System.Globalization.CultureInfo.InvariantCulture), [EngineKey] = TorchRuntime.Describe() });
            if (optimizer != null)
                SafeTensors.Write(Path.Combine(tmp, OptimizerFile), optimizer.NamedState(), new Dictionary<string, string>
                {
                    ["step"] = optimizer.StepCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["lr"] = optimizer.LearningRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                });
            var saved = state with { SavedAtUnixSeconds = _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0, ModelPreset = model.Config.Preset };
            using (var f = new FileStream(Path.Combine(tmp, StateFile), FileMode.Create))
            {
                JsonSerializer.Serialize(f, saved, Json);
                f.Flush(flushToDisk: true);
            }
            string? old = null;
            if (Directory.Exists(final))
            {
                old = Path.Combine(Root, $".{name}.old-{Guid.NewGuid():N}");
                Directory.Move(final, old);
            }
            Directory.Move(tmp, final);
            if (old != null) Directory.Delete(old, recursive: true);
            return final;
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            throw;
        }
    }

    /// <summary>Saves <c>step-N</c>, points <c>latest</c> at it, and deletes the oldest step checkpoints beyond
    /// <paramref name="keep"/> (0 keeps all).</summary>
    public string SaveStep(Transformer model, NamedAdamW? optimizer, TrainerState state, int keep = 0)
    {
        var dir = Save(StepName(state.Step), model, optimizer, state);
        PointLatestAt(StepName(state.Step));
        if (keep > 0)
        {
            foreach (var (_, path) in StepCheckpoints().SkipLast(keep)) Directory.Delete(path, recursive: true);
        }
        return dir;
    }

    /// <summary>Switches the <c>latest</c> symlink to <paramref name="name"/> with one rename.</summary>
    public void PointLatestAt(string name)
    {
        var tmp = Path.Combine(Root, $".latest.tmp-{Guid.NewGuid():N}");
        File.CreateSymbolicLink(tmp, name);
        // rename(2) replaces the old link atomically; File.Move refuses a link that points at a directory.
        if (rename(tmp, Path.Combine(Root, Latest)) != 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            File.Delete(tmp);
            throw new IOException($"checkpoint: rename {tmp} -> {Latest} failed, errno {errno}");
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial int rename(string oldPath, string newPath);

    /// <summary>Step checkpoints present, oldest first.</summary>
    public IReadOnlyList<(long Step, string Path)> StepCheckpoints() =>
        Directory.Exists(Root)
            ? Directory.GetDirectories(Root, "step-*")
                .Select(p => (Ok: long.TryParse(Path.GetFileName(p)[5..], out var s), Step: s, Path: p))
                .Where(x => x.Ok).OrderBy(x => x.Step).Select(x => (x.Step, x.Path)).ToList()
            : [];

    /// <summary>The folder of <c>latest</c> resolved, or null when there is none.</summary>
    public string? LatestPath()
    {
        var link = Path.Combine(Root, Latest);
        return Directory.Exists(link) ? Path.GetFullPath(Path.Combine(Root, new DirectoryInfo(link).LinkTarget ?? Latest)) : null;
    }

    /// <summary>Reads <c>state.json</c> of a checkpoint folder.</summary>
    public static TrainerState ReadState(string dir)
    {
        var path = Path.Combine(dir, StateFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint {dir}: no {StateFile}", path);
        return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), Json)
               ?? throw new InvalidDataException($"{path}: empty state");
    }

    /// <summary>The <see cref="ModelConfig"/> a checkpoint's weights were saved with; throws, naming the layout and
    /// the engine that wrote it, when its layout is not the one this trainer reads.</summary>
    public static ModelConfig ReadConfig(string dir) => ReadConfig(dir, SafeTensors.Read(Path.Combine(dir, ModelFile)));

    /// <summary>"written by ENGINE", or which trainer wrote files that predate the key.</summary>
    public static string WrittenBy(SafeTensorFile file) => file.Metadata.TryGetValue(EngineKey, out var engine)
        ? $"written by {engine}"
        : "written by the libtorch 1.13 shim (trainer/native, before TorchSharp)";

    private static ModelConfig ReadConfig(string dir, SafeTensorFile file)
    {
        var layoutText = file.Metadata.GetValueOrDefault(LayoutKey, "1");
        if (!int.TryParse(layoutText, System.Globalization.CultureInfo.InvariantCulture, out var layout) || layout != Layout)
            throw new InvalidDataException($"checkpoint {dir}: {ModelFile} has layout \"{layoutText}\" ({WrittenBy(file)}); this trainer " +
                                           $"({TorchRuntime.Describe()}) reads layout {Layout} only");
        return file.Metadata.TryGetValue("config", out var json)
            ? JsonSerializer.Deserialize<ModelConfig>(json, Json) ?? throw new InvalidDataException($"{dir}/{ModelFile}: empty config")
            : throw new InvalidDataException($"{dir}/{ModelFile}: no 'config' in __metadata__");
    }

    /// <summary>Builds a model from a checkpoint folder (serving, evaluation, or a manifest's policy.checkpoint).</summary>
    public static Transformer LoadModel(string dir, Device? device = null)
    {
        var model = new Transformer(ReadConfig(dir), seed: 1, device);
        try
        {
            LoadInto(dir, model, null);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Restores weights (and optimizer moments and step when <paramref name="optimizer"/> is given) from a
    /// checkpoint folder into existing objects; returns its <see cref="TrainerState"/>. Every shape field of the
    /// <see cref="ModelConfig"/> must match (the context length may differ).</summary>
    public static TrainerState LoadInto(string dir, Transformer model, NamedAdamW? optimizer)
    {
        // The weights depend on every shape field but not on the context length (rotary tables are computed) or
        // the preset's name, so a checkpoint may be served or trained further with a longer context.
        var weights = SafeTensors.Read(Path.Combine(dir, ModelFile));
        var saved = ReadConfig(dir, weights) with { ContextLength = model.Config.ContextLength, Preset = model.Config.Preset };
        if (saved != model.Config)
            throw new InvalidDataException($"checkpoint {dir} ({WrittenBy(weights)}): saved for model {JsonSerializer.Serialize(saved, Json)}, loading into {JsonSerializer.Serialize(model.Config, Json)}");
        using var scope = NewDisposeScope();
        StateDicts.Load(model, weights.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.ToTensor(model.Device)), $"checkpoint {dir}/{ModelFile} ({WrittenBy(weights)})");
        if (optimizer != null)
        {
            var opt = SafeTensors.Read(Path.Combine(dir, OptimizerFile));
            var step = long.Parse(opt.Metadata.GetValueOrDefault("step") ?? throw new InvalidDataException($"{dir}/{OptimizerFile}: no 'step' in __metadata__"),
                System.Globalization.CultureInfo.InvariantCulture);
            optimizer.LoadState(opt.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.ToTensor(model.Device)), step);
            if (opt.Metadata.TryGetValue("lr", out var lr))
                optimizer.LearningRate = double.Parse(lr, System.Globalization.CultureInfo.InvariantCulture);
        }
        return ReadState(dir);
    }
}
