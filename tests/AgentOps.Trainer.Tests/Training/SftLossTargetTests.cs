using AgentOps.Trainer.Training;

namespace AgentOps.Trainer.Tests.Training;

public class SftLossTargetTests
{
    [Fact]
    public void Reached_only_once_the_mean_of_a_full_window_is_at_or_below_the_target()
    {
        var target = new SftLossTarget(0.5);
        // Nine losses far below the target are not a full window.
        for (var i = 0; i < SftLossTarget.Window - 1; i++) Assert.False(target.Record(0.25));
        Assert.Null(target.Mean);
        // The tenth: mean (9 x 0.25 + 2.75) / 10 = 0.5 exactly, at the target.
        Assert.True(target.Record(2.75));
        Assert.Equal(0.5, target.Mean!.Value, 9);
    }

    [Fact]
    public void One_low_step_does_not_end_SFT_while_the_window_mean_is_above_the_target()
    {
        var target = new SftLossTarget(0.5);
        for (var i = 0; i < SftLossTarget.Window; i++) Assert.False(target.Record(2.0));
        Assert.False(target.Record(0.0)); // mean (9 x 2 + 0) / 10 = 1.8
        // The window slides: with 8 steps at 0.4 one 2.0 is still in it, (2.0 + 0.0 + 8 x 0.4) / 10 = 0.52; the 9th
        // pushes it out, (0.0 + 9 x 0.4) / 10 = 0.36.
        var reached = Enumerable.Range(0, SftLossTarget.Window).Select(_ => target.Record(0.4)).ToList();
        Assert.Equal(Enumerable.Repeat(false, 8).Concat([true, true]), reached);
        Assert.Equal(0.4, target.Mean!.Value, 9);
    }

    [Fact]
    public void A_zero_target_is_off_and_a_NaN_loss_never_reaches_it()
    {
        var off = new SftLossTarget(0);
        Assert.All(Enumerable.Range(0, 20), _ => Assert.False(off.Record(0.0)));
        var nan = new SftLossTarget(1);
        Assert.False(nan.Record(double.NaN));
        Assert.All(Enumerable.Range(0, SftLossTarget.Window - 1), _ => Assert.False(nan.Record(0.0)));
    }
}
