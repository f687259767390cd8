using AgentOps.Operator.Local;
using AgentOps.Protos.Api;
using AgentOps.Testing.Kube;

namespace AgentOps.Operator.Tests.Local;

public class EtaEstimatorTests
{
    private static TrainerStatusReport At(long step, string phase = "rl") => new(phase, step, 30, step, 0, 0, 0, 0, 0);

    [Fact]
    public void Steady_30_second_steps_polled_every_second_give_a_steady_countdown()
    {
        var clock = new ManualTimeProvider();
        var eta = new EtaEstimator(clock);
        var estimates = new List<double>();
        for (var second = 0; second < 300; second++)
        {
            var e = eta.Observe(At(second / 30));
            if (second >= 60 && e is { } v) estimates.Add(v.TotalSeconds + second); // predicted end time
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        // 30 steps of 30 s end at t = 900 s; every estimate after the first steps says so within one poll.
        Assert.NotEmpty(estimates);
        Assert.All(estimates, end => Assert.InRange(end, 899, 901));
    }

    [Fact]
    public void No_estimate_before_two_timed_step_changes_or_after_the_last_step_and_a_new_phase_starts_over()
    {
        var clock = new ManualTimeProvider();
        var eta = new EtaEstimator(clock);
        Assert.Null(eta.Observe(At(5))); // step 5 began before we looked: not timed
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(eta.Observe(At(6)));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(23 * 10), eta.Observe(At(7)));
        Assert.Null(eta.Observe(At(0, "eval")));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(eta.Observe(At(1, "eval")));
        Assert.Null(eta.Observe(At(30, "eval")));
    }

    [Fact]
    public void A_stalled_step_counts_down_to_zero_instead_of_going_negative()
    {
        var clock = new ManualTimeProvider();
        var eta = new EtaEstimator(clock);
        eta.Observe(At(27));
        clock.Advance(TimeSpan.FromSeconds(5));
        eta.Observe(At(28));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(5), eta.Observe(At(29))); // 1 step left at 5 s per step
        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(TimeSpan.Zero, eta.Observe(At(29)));
    }
}
