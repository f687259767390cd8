using AgentOps.Workers.Agent;

namespace AgentOps.Workers.Tests.Agent;

public class ScriptedPolicyTests
{
    [Fact]
    public void Recover_rate_decides_per_episode_and_the_broken_cell_comes_first()
    {
        string[] cells = ["from biz import *\no=get_order('O3')\nprint(o['qty'])"];
        var never = new ScriptedPolicy(0);
        var always = new ScriptedPolicy(1);
        Assert.Equal(cells, never.Plan(cells, 12345));
        var plan = always.Plan(cells, 12345);
        Assert.Equal(2, plan.Count);
        Assert.NotEqual(cells[0], plan[0]);
        Assert.Equal(cells[0], plan[1]);
        var half = new ScriptedPolicy(0.5);
        var recovered = Enumerable.Range(1, 400).Count(s => half.Plan(cells, (ulong)s * 7919).Count == 2);
        Assert.InRange(recovered, 140, 260);
    }

    [Fact]
    public void Broken_cells_are_plausible_mistakes()
    {
        var random = new Random(1);
        var kinds = new HashSet<string>();
        for (var i = 0; i < 60; i++)
        {
            var broken = ScriptedPolicy.Break("o=get_order('O3')\nprint(o['qty'])", random);
            kinds.Add(broken.Contains("get_order()") ? "missing-arg" : broken.Contains("prnt(") ? "name" : "syntax");
        }
        Assert.Equal(3, kinds.Count);
    }
}
