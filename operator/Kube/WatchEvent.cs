using System.Text.Json.Nodes;

namespace AgentOps.Operator.Kube;

/// <summary>One line of a watch stream (metav1.WatchEvent): ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.</summary>
public sealed record WatchEvent(string Type, JsonObject Object)
{
    public const string Added = "ADDED", Modified = "MODIFIED", Deleted = "DELETED", Bookmark = "BOOKMARK", Error = "ERROR";
}

/// <summary>A list answer: the items and the collection's resourceVersion to watch from.</summary>
public sealed record KubeList(IReadOnlyList<JsonObject> Items, string ResourceVersion);

/// <summary>propagationPolicy of a delete (metav1.DeletionPropagation).</summary>
public enum PropagationPolicy { Background, Foreground, Orphan }
