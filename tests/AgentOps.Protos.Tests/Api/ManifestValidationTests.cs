using AgentOps.Testing.Manifests;
using AgentOps.Protos.Api;

namespace AgentOps.Protos.Tests.Api;

/// <summary>One test per class of error, each with the exact message a user sees.</summary>
public class ManifestValidationTests
{
    private static string[] Errors(string yaml, bool rejectUnknown = true) =>
        Manifests.ParseTrainingRun(yaml, rejectUnknown).Errors.Select(e => e.ToString()).ToArray();

    [Fact]
    public void OutOfBounds_NamesFieldBoundsAndValue()
        => Assert.Equal(["spec.algorithm.groupSize: must be between 2 and 64, got 1"],
            Errors(ManifestSamples.MinimalWith("algorithm: { groupSize: 1 }")));

    [Fact]
    public void OutOfBoundsDouble_IsFormattedPlainly()
        => Assert.Equal(["spec.agent.topP: must be between 0 and 1, got 1.5"],
            Errors(ManifestSamples.MinimalWith("agent: { topP: 1.5 }")));

    [Fact]
    public void NegativeSftTargetLoss_NamesTheNestedField()
        => Assert.Equal(["spec.policy.sft.targetLoss: must be between 0 and 100, got -0.1"],
            Errors(ManifestSamples.MinimalWith("policy: { sft: { targetLoss: -0.1 } }")));

    [Fact]
    public void UnknownEnvironment_ListsTheKnownOnes()
        => Assert.Equal(["spec.environment.name: unknown environment \"foo\" (known: arithmetic, countdown, tools, multihop-qa, cat)"],
            Errors(ManifestSamples.Minimal.Replace("countdown", "foo")));

    [Fact]
    public void UnknownAlgorithm_ListsTheKnownOnes()
        => Assert.Equal(["spec.algorithm.name: unknown algorithm \"dpo\" (known: grpo, reinforce++, ppo, sft)"],
            Errors(ManifestSamples.MinimalWith("algorithm: { name: dpo }")));

    [Fact]
    public void WrongScalarType_SaysWhatWasExpected()
        => Assert.Equal([
                "spec.agent.maxTurns: expected an integer, got \"four\"",
                "spec.agent.temperature: expected a number, got \"hot\"",
                "spec.suspend: expected a boolean (true or false), got \"yes\"",
            ],
            Errors(ManifestSamples.MinimalWith("agent: { maxTurns: four, temperature: hot }\nsuspend: yes")));

    [Fact]
    public void ObjectWhereScalarExpected_AndViceVersa()
        => Assert.Equal([
                "spec.environment.settings: expected a map of strings, got a list",
                "spec.agent: expected an object, got \"4\"",
            ],
            Errors("""
                apiVersion: agentops.dev/v1alpha1
                kind: TrainingRun
                metadata: { name: tiny }
                spec:
                  environment: { name: countdown, settings: [a, b] }
                  agent: 4
                """));

    [Fact]
    public void MissingRequiredFields_AreEachNamed()
        => Assert.Equal([
                "metadata.name: required field is missing",
                "spec.environment.name: required field is missing",
            ],
            Errors("""
                apiVersion: agentops.dev/v1alpha1
                kind: TrainingRun
                metadata: { namespace: x }
                spec:
                  environment: { seed: 3 }
                """));

    [Fact]
    public void MissingSpec_IsNamed()
        => Assert.Equal(["spec: required field is missing"],
            Errors("apiVersion: agentops.dev/v1alpha1\nkind: TrainingRun\nmetadata: { name: a }\n"));

    [Fact]
    public void UnknownField_IsAnErrorWithASuggestion()
        => Assert.Equal(["spec.agent.maxTurn: unknown field \"maxTurn\" (did you mean \"maxTurns\"?)"],
            Errors(ManifestSamples.MinimalWith("agent: { maxTurn: 3 }")));

    [Fact]
    public void UnknownField_IsOnlyAWarningWhenNotRejected()
    {
        var result = Manifests.ParseTrainingRun(ManifestSamples.MinimalWith("colour: blue"), rejectUnknownFields: false);
        Assert.True(result.IsValid);
        Assert.Equal(["spec.colour: unknown field \"colour\""], result.Warnings.Select(e => e.ToString()));
    }

    [Fact]
    public void UnknownMetadataFields_AreIgnored_LikeTheApiServersObjectMeta()
        => Assert.Empty(Errors(ManifestSamples.Minimal.Replace("{ name: tiny }", "{ name: tiny, managedFields: [], uid: abc }")));

    [Fact]
    public void CrossFieldRules_NameBothFields()
        => Assert.Equal([
                "spec.agent.maxNewTokens: must be less than spec.agent.maxContextTokens (512), got 600",
                "spec.algorithm.warmupSteps: must be at most spec.algorithm.steps (5), got 10",
                "spec.queue.maxBacklog: must be at most spec.queue.maxLength (100), got 10000",
                "spec.policy.sft.enabled: must be true when spec.algorithm.name is \"sft\", got false",
            ],
            Errors(ManifestSamples.MinimalWith("""
                agent: { maxNewTokens: 600 }
                algorithm: { steps: 5, name: sft }
                queue: { maxLength: 100 }
                policy: { sft: { enabled: false } }
                """)));

    [Fact]
    public void TrainerDevice_IsCpuOrCuda_AndGpusComeOnlyWithCuda()
    {
        Assert.Equal(["spec.trainer.device: unknown device \"tpu\" (known: cpu, cuda)"],
            Errors(ManifestSamples.MinimalWith("trainer: { device: tpu }")));
        Assert.Equal(["spec.trainer.resources.gpu: must be 0 unless spec.trainer.device is \"cuda\" (it is \"cpu\"), got 2"],
            Errors(ManifestSamples.MinimalWith("trainer: { resources: { gpu: 2 } }")));
        Assert.Empty(Errors(ManifestSamples.MinimalWith("trainer: { device: cuda }")));
        Assert.Empty(Errors(ManifestSamples.MinimalWith("trainer: { device: cuda, resources: { gpu: 2 } }")));
        Assert.Equal("cpu", new TrainingRun().Spec.Trainer.Device);
    }

    [Fact]
    public void BadQuantity_ShowsExamples()
        => Assert.Equal(["spec.trainer.resources.memory: invalid quantity \"4GB\" (examples: \"2\", \"500m\", \"4Gi\")"],
            Errors(ManifestSamples.MinimalWith("trainer: { resources: { memory: 4GB } }")));

    [Fact]
    public void BadName_AndHeader()
        => Assert.Equal([
                "apiVersion: must be \"agentops.dev/v1alpha1\", got \"v1\"",
                "kind: must be \"TrainingRun\", got \"Job\"",
                "metadata.name: must be lowercase letters, digits and '-', start and end with a letter or digit, at most 40 characters, got \"My_Run\"",
            ],
            Errors("""
                apiVersion: v1
                kind: Job
                metadata: { name: My_Run }
                spec: { environment: { name: cat } }
                """));

    [Fact]
    public void InvalidYaml_GivesLineAndColumn()
    {
        var errors = Errors("spec:\n  environment: { name: cat\n");
        Assert.Single(errors);
        Assert.StartsWith("(root): invalid YAML at line ", errors[0]);
    }

    [Fact]
    public void EveryErrorIsReported_NotJustTheFirst()
        => Assert.Equal(5, Errors(ManifestSamples.MinimalWith("""
                agent: { maxTurns: 0, topP: 2 }
                algorithm: { groupSize: 100, name: x }
                sandbox: { replicas: -1 }
                """)).Length);

    [Fact]
    public void SandboxPool_ValidatesItsOwnFields()
        => Assert.Equal([
                "spec.replicas: must be between 0 and 1000, got 5000",
                "spec.runtime: unknown runtime \"docker\" (known: gvisor, process)",
            ],
            Manifests.ParseSandboxPool("""
                apiVersion: agentops.dev/v1alpha1
                kind: SandboxPool
                metadata: { name: p }
                spec: { replicas: 5000, runtime: docker }
                """).Errors.Select(e => e.ToString()));

    [Fact]
    public void KnownLists_ComeFromTheAttributes()
    {
        Assert.Equal(["arithmetic", "countdown", "tools", "multihop-qa", "cat"], ApiConstants.Environments);
        Assert.Equal(["grpo", "reinforce++", "ppo", "sft"], ApiConstants.Algorithms);
    }
}
