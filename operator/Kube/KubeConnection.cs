using System.Security.Cryptography.X509Certificates;

namespace AgentOps.Operator.Kube;

/// <summary>How to reach and authenticate to an API server (client-go rest.Config, the parts we use).</summary>
public sealed record KubeConnection
{
    public required Uri Server { get; init; }
    /// <summary>Trusted CA for the server certificate; null = the system store.</summary>
    public X509Certificate2? CertificateAuthority { get; init; }
    public bool InsecureSkipTlsVerify { get; init; }
    public X509Certificate2? ClientCertificate { get; init; }
    public ITokenSource Token { get; init; } = new StaticTokenSource(null);
    /// <summary>Namespace from the kubeconfig context or the service-account namespace file.</summary>
    public string Namespace { get; init; } = "default";
}
