using AgentOps.Operator.Local;
using AgentOps.Protos.Api;

namespace AgentOps.Operator.Tests.Local;

public sealed class ProgressLineTests
{
    private static TrainerStatusReport At(string phase) => new(phase, 100, 430, 100, 0, 0, 3200, 5000, 0);

    [Fact]
    public void With_a_target_loss_the_SFT_ETA_is_shown_as_an_upper_bound_and_the_RL_one_is_not()
    {
        var eta = TimeSpan.FromSeconds(234);
        Assert.EndsWith("ETA <= 3:54", ProgressDisplay.Line(At("sft"), eta, sftMayEndEarly: true));
        Assert.EndsWith("ETA 3:54", ProgressDisplay.Line(At("rl"), eta, sftMayEndEarly: true));
        Assert.EndsWith("ETA 3:54", ProgressDisplay.Line(At("sft"), eta, sftMayEndEarly: false));
        Assert.EndsWith("ETA -", ProgressDisplay.Line(At("sft"), null, sftMayEndEarly: true));
    }
}
