using System.Text.Json.Nodes;
using static AgentOps.Operator.Reconcile.Json;

namespace AgentOps.Operator.Reconcile;

/// <summary>The Pod Security Standards "restricted" profile, applied to every pod the operator makes.</summary>
internal static class PodSecurity
{
    public const long UserId = 65532; // the distroless "nonroot" user our images run as

    public static JsonObject PodContext() => Obj(
        ("runAsNonRoot", true),
        ("runAsUser", UserId),
        ("runAsGroup", UserId),
        ("fsGroup", UserId),
        ("seccompProfile", Obj(("type", "RuntimeDefault"))));

    public static JsonObject ContainerContext(bool readOnlyRoot = true) => Obj(
        ("allowPrivilegeEscalation", false),
        ("readOnlyRootFilesystem", readOnlyRoot),
        ("runAsNonRoot", true),
        ("capabilities", Obj(("drop", Arr("ALL")))),
        ("seccompProfile", Obj(("type", "RuntimeDefault"))));

    public static JsonObject HttpProbe(string path, string port, int periodSeconds) => Obj(
        ("httpGet", Obj(("path", path), ("port", port))),
        ("periodSeconds", periodSeconds),
        ("failureThreshold", 3));
}
