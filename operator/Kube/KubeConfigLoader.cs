using System.Security.Cryptography.X509Certificates;
using YamlDotNet.RepresentationModel;

namespace AgentOps.Operator.Kube;

/// <summary>
/// client-go clientcmd + rest.InClusterConfig: a kubeconfig file (current-context's cluster and user: token,
/// tokenFile, client certificate, exec plugin) or, inside a pod, the service account.
/// </summary>
public static class KubeConfigLoader
{
    public const string ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>client-go's order: --kubeconfig, then $KUBECONFIG, then in-cluster, then ~/.kube/config.</summary>
    public static KubeConnection Load(string? kubeconfigPath, TimeProvider time)
    {
        var path = kubeconfigPath ?? Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(':')[0];
        if (!string.IsNullOrEmpty(path)) return FromKubeConfig(path, null, time);
        if (Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") is { Length: > 0 }) return InCluster(ServiceAccountDir, time);
        var home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        if (File.Exists(home)) return FromKubeConfig(home, null, time);
        throw new InvalidOperationException("no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, or run in a pod with a service account");
    }

    /// <summary>rest.InClusterConfig: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, token and CA from the service-account folder.</summary>
    public static KubeConnection InCluster(string serviceAccountDir, TimeProvider time)
    {
        var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST")
            ?? throw new InvalidOperationException("KUBERNETES_SERVICE_HOST is not set: not running in a pod");
        var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT") ?? "443";
        if (host.Contains(':')) host = $"[{host}]"; // IPv6
        var ns = Path.Combine(serviceAccountDir, "namespace");
        return new KubeConnection
        {
            Server = new Uri($"https://{host}:{port}"),
            CertificateAuthority = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(serviceAccountDir, "ca.crt")),
            Token = new FileTokenSource(Path.Combine(serviceAccountDir, "token"), time),
            Namespace = File.Exists(ns) ? File.ReadAllText(ns).Trim() : "default",
        };
    }

    public static KubeConnection FromKubeConfig(string path, string? context, TimeProvider time)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        context ??= Str(root, "current-context") ?? throw new InvalidOperationException($"{path}: current-context is not set");
        var ctx = Named(root, "contexts", context, "context", path);
        var clusterName = Str(ctx, "cluster") ?? throw new InvalidOperationException($"{path}: context \"{context}\" has no cluster");
        var cluster = Named(root, "clusters", clusterName, "cluster", path);
        var userName = Str(ctx, "user");
        var user = userName is null ? new YamlMappingNode() : Named(root, "users", userName, "user", path);

        var server = Str(cluster, "server") ?? throw new InvalidOperationException($"{path}: cluster \"{clusterName}\" has no server");
        X509Certificate2? ca = null;
        if (Str(cluster, "certificate-authority-data") is { } caData) ca = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(caData));
        else if (Str(cluster, "certificate-authority") is { } caFile) ca = X509CertificateLoader.LoadCertificateFromFile(Resolve(baseDir, caFile));

        X509Certificate2? clientCert = null;
        var certPem = Str(user, "client-certificate-data") is { } cd ? Base64Text(cd) : Str(user, "client-certificate") is { } cf ? File.ReadAllText(Resolve(baseDir, cf)) : null;
        var keyPem = Str(user, "client-key-data") is { } kd ? Base64Text(kd) : Str(user, "client-key") is { } kf ? File.ReadAllText(Resolve(baseDir, kf)) : null;
        if (certPem is not null && keyPem is not null)
        {
            // SslStream on Linux needs an exportable (PKCS#12-backed) certificate with its private key.
            using var pem = X509Certificate2.CreateFromPem(certPem, keyPem);
            clientCert = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }

        ITokenSource token = new StaticTokenSource(null);
        if (Str(user, "token") is { } t) token = new StaticTokenSource(t);
        else if (Str(user, "tokenFile") is { } tf) token = new FileTokenSource(Resolve(baseDir, tf), time);
        else if (user.Children.TryGetValue(new YamlScalarNode("exec"), out var execNode) && execNode is YamlMappingNode exec)
        {
            var args = exec.Children.TryGetValue(new YamlScalarNode("args"), out var a) && a is YamlSequenceNode seq
                ? seq.Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToList() : [];
            var env = new Dictionary<string, string>();
            if (exec.Children.TryGetValue(new YamlScalarNode("env"), out var e) && e is YamlSequenceNode envs)
                foreach (YamlMappingNode item in envs) env[Str(item, "name") ?? ""] = Str(item, "value") ?? "";
            token = new ExecTokenSource(Str(exec, "command") ?? throw new InvalidOperationException($"{path}: user \"{userName}\" exec has no command"),
                args, env, Str(exec, "apiVersion") ?? "client.authentication.k8s.io/v1", time);
        }

        return new KubeConnection
        {
            Server = new Uri(server),
            CertificateAuthority = ca,
            InsecureSkipTlsVerify = Str(cluster, "insecure-skip-tls-verify") == "true",
            ClientCertificate = clientCert,
            Token = token,
            Namespace = Str(ctx, "namespace") ?? "default",
        };
    }

    private static string Base64Text(string b64) => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(b64));

    private static string Resolve(string baseDir, string file) => Path.IsPathRooted(file) ? file : Path.Combine(baseDir, file);

    private static string? Str(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    private static YamlMappingNode Named(YamlMappingNode root, string listKey, string name, string innerKey, string path)
    {
        if (root.Children.TryGetValue(new YamlScalarNode(listKey), out var list) && list is YamlSequenceNode seq)
            foreach (YamlMappingNode item in seq)
                if (Str(item, "name") == name && item.Children.TryGetValue(new YamlScalarNode(innerKey), out var inner))
                    return (YamlMappingNode)inner;
        throw new InvalidOperationException($"{path}: {listKey} has no entry named \"{name}\"");
    }
}
