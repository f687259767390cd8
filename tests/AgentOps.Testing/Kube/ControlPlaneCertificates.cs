using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AgentOps.Testing.Kube;

/// <summary>
/// The PKI of a test control plane, made with .NET's CertificateRequest (what envtest makes with Go's crypto):
/// a CA, the API server's serving certificate for 127.0.0.1/localhost/kubernetes.default.svc signed by it, and
/// the service-account signing key pair. Written as PEM files into one folder.
/// </summary>
public static class ControlPlaneCertificates
{
    public static void Write(string dir)
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=agentops-envtest-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var ca = caRequest.CreateSelfSigned(now, now.AddDays(7));

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=kube-apiserver", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.Parse("10.0.0.1"));
        foreach (var name in new[] { "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc" }) san.AddDnsName(name);
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = serverRequest.Create(ca, now, now.AddDays(7), RandomNumberGenerator.GetBytes(16));

        File.WriteAllText(Path.Combine(dir, "ca.crt"), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "apiserver.crt"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "apiserver.key"), serverKey.ExportPkcs8PrivateKeyPem());

        using var saKey = RSA.Create(2048);
        File.WriteAllText(Path.Combine(dir, "sa.key"), saKey.ExportRSAPrivateKeyPem());
        File.WriteAllText(Path.Combine(dir, "sa.pub"), saKey.ExportSubjectPublicKeyInfoPem());
    }
}
