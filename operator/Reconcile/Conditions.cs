using AgentOps.Protos.Api;

namespace AgentOps.Operator.Reconcile;

/// <summary>
/// metav1.Condition bookkeeping (apimachinery meta.SetStatusCondition): lastTransitionTime changes only
/// when the status flips, so an unchanged world gives an identical status and no write.
/// </summary>
public static class Conditions
{
    public const string True = "True", False = "False", Unknown = "Unknown";

    public static List<Condition> Set(IReadOnlyList<Condition>? existing, Condition next, string now)
    {
        var list = existing?.ToList() ?? [];
        var i = list.FindIndex(c => c.Type == next.Type);
        if (i < 0) { list.Add(next with { LastTransitionTime = now }); return list; }
        var old = list[i];
        list[i] = next with { LastTransitionTime = old.Status == next.Status && old.LastTransitionTime.Length > 0 ? old.LastTransitionTime : now };
        return list;
    }

    public static Condition? Find(IReadOnlyList<Condition>? list, string type) => list?.FirstOrDefault(c => c.Type == type);
}
