using k8s;
using k8s.Exceptions;

namespace AgentOps.Operator.Kube;

/// <summary>Where the operator's KubernetesClient configuration comes from (client-go's loading order).</summary>
public static class KubeConfig
{
    /// <summary>
    /// --kubeconfig, then the first file of $KUBECONFIG, then in-cluster (the service account), then ~/.kube/config;
    /// errors name the file. Token files, client certificates and exec credential plugins are KubernetesClient's.
    /// </summary>
    public static KubernetesClientConfiguration Load(string? kubeconfigPath)
    {
        var path = kubeconfigPath ?? Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(':', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (!string.IsNullOrEmpty(path)) return FromFile(path);
        if (KubernetesClientConfiguration.IsInCluster()) return KubernetesClientConfiguration.InClusterConfig();
        var home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        if (File.Exists(home)) return FromFile(home);
        throw new InvalidOperationException("no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, or run in a pod with a service account");
    }

    public static KubernetesClientConfiguration FromFile(string path)
    {
        if (!File.Exists(path)) throw new InvalidOperationException($"{path}: no such kubeconfig file");
        try { return KubernetesClientConfiguration.BuildConfigFromConfigFile(path); }
        catch (KubeConfigException e) { throw new InvalidOperationException($"{path}: {e.Message}", e); }
    }
}
