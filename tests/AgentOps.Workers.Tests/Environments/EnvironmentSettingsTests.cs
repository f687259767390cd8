using AgentOps.Protos.Api;
using AgentOps.Workers.Environments;
using AgentOps.Workers.Executor;

namespace AgentOps.Workers.Tests.Environments;

/// <summary>
/// Issue 18.3: no environment setting is silently ignored. Every key of every example manifest is read by its
/// environment; a key no environment reads is an error naming its path, in the executor and in the manifest
/// validator alike, whose list of keys is the environments' own.
/// </summary>
public class EnvironmentSettingsTests
{
    public static IEnumerable<object[]> Examples() =>
        Directory.GetFiles(ExamplesDir(), "*.yaml").Order(StringComparer.Ordinal).Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Every_setting_of_every_example_manifest_is_read_and_its_held_out_set_exists(string file)
    {
        var run = Manifests.LoadTrainingRun(Path.Combine(ExamplesDir(), file));
        var options = ManifestMapping.Environment(run);
        var reader = EnvironmentFactory.ReadSettings(options);
        Assert.Empty(reader.Unread);
        Assert.Subset(reader.Asked.ToHashSet(), options.Settings!.Keys.ToHashSet());
        await EnvironmentFactory.CheckAsync(options, run.Spec.Environment.Eval.Tasks);
    }

    [Fact]
    public void There_is_an_example_for_every_environment()
    {
        var names = Directory.GetFiles(ExamplesDir(), "*.yaml").Select(f => Manifests.LoadTrainingRun(f).Spec.Environment.Name).ToHashSet();
        Assert.Equal(EnvironmentFactory.Names.Order(), names.Order());
    }

    [Theory]
    [InlineData("arithmetic")]
    [InlineData("countdown")]
    [InlineData("tools")]
    [InlineData("multihop-qa")]
    [InlineData("cat")]
    public void The_validators_settings_keys_are_the_ones_the_environment_reads(string name)
    {
        Assert.Equal(EnvironmentSettingsSchema.Keys[name].Order(), EnvironmentFactory.SettingKeys(name).Order());
    }

    [Theory]
    [InlineData("arithmetic", "minOp")]
    [InlineData("countdown", "minOps")]
    [InlineData("tools", "tools")]
    [InlineData("multihop-qa", "metric")]
    [InlineData("cat", "challengr")]
    public async Task An_unread_setting_is_an_error_naming_its_path_in_the_executor_and_the_validator(string name, string key)
    {
        var options = new EnvironmentOptions(name, Settings: new Dictionary<string, string> { [key] = "1" });
        var e = await Assert.ThrowsAsync<ArgumentException>(() => EnvironmentFactory.CheckAsync(options, 1));
        Assert.StartsWith($"spec.environment.settings.{key}: not a setting of environment {name} (its settings: ", e.Message);
        Assert.Equal([key], EnvironmentFactory.ReadSettings(options).Unread);

        var parsed = Manifests.ParseTrainingRun($$"""
            apiVersion: agentops.dev/v1alpha1
            kind: TrainingRun
            metadata: { name: t }
            spec: { environment: { name: {{name}}, settings: { {{key}}: "1" } } }
            """);
        var error = Assert.Single(parsed.Errors);
        Assert.Equal($"spec.environment.settings.{key}", error.Path);
        Assert.StartsWith($"unknown setting for environment \"{name}\"", error.Message);
    }

    [Fact]
    public void The_validator_suggests_the_setting_a_typo_meant()
    {
        var parsed = Manifests.ParseTrainingRun("""
            apiVersion: agentops.dev/v1alpha1
            kind: TrainingRun
            metadata: { name: t }
            spec: { environment: { name: tools, settings: { maxTool: "2" } } }
            """);
        Assert.Equal("spec.environment.settings.maxTool: unknown setting for environment \"tools\" (did you mean \"maxTools\"?); its settings: minTools, maxTools",
            Assert.Single(parsed.Errors).ToString());
    }

    internal static string ExamplesDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AgentOps.sln"))) return Path.Combine(dir.FullName, "examples");
        throw new DirectoryNotFoundException($"AgentOps.sln not found above {AppContext.BaseDirectory}");
    }
}
