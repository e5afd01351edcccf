using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Runner.Cluster.Security;

/// <summary>
/// A cluster's own certificate authority and the certificates it signs for nodes and clients, made with .NET's
/// cryptography (ECDSA P-256, SHA-256): no openssl, no system trust store. A node trusts exactly the certificates
/// its cluster's CA signed (<see cref="ClusterTls"/>).
/// </summary>
public static class ClusterCertificates
{
    const string ServerAuth = "1.3.6.1.5.5.7.3.1", ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>A new self-signed CA (with its private key), valid for <paramref name="years"/> years.</summary>
    public static X509Certificate2 CreateAuthority(string name, int years = 10)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(years));
    }

    /// <summary>
    /// A certificate for a node or a client, signed by <paramref name="authority"/>, good for both ends of a TLS
    /// connection, naming <paramref name="hosts"/> (DNS names or IP addresses) for optional hostname checks.
    /// <paramref name="notBefore"/>/<paramref name="notAfter"/> default to now … one year (never past the CA's end).
    /// </summary>
    public static X509Certificate2 Issue(X509Certificate2 authority, string name, IReadOnlyList<string> hosts,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        if (!authority.HasPrivateKey) throw new ArgumentException("issuing needs the CA's private key (ca.pfx)");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(ServerAuth), new Oid(ClientAuth) }, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        foreach (string host in hosts)
            if (IPAddress.TryParse(host, out var ip)) names.AddIpAddress(ip);
            else names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        var from = notBefore ?? now.AddMinutes(-5);
        var until = notAfter ?? now.AddYears(1);
        if (until > authority.NotAfter) until = authority.NotAfter;
        using var signed = request.Create(authority, from, until, RandomNumberGenerator.GetBytes(16));
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// Writes a PKCS#12 file readable by its owner only (0600): <paramref name="certificate"/> with its key, plus
    /// <paramref name="authority"/>'s public certificate (what the holder trusts).
    /// </summary>
    public static void Save(string path, X509Certificate2 certificate, X509Certificate2? authority, string? password)
    {
        var collection = new X509Certificate2Collection(certificate);
        if (authority != null) collection.Add(X509CertificateLoader.LoadCertificate(authority.RawData));
        byte[] pfx = collection.Export(X509ContentType.Pfx, password)!;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Created empty and private before the key is written into it, so it is never readable by others.
        File.WriteAllBytes(path, Array.Empty<byte>());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllBytes(path, pfx);
    }

    /// <summary>
    /// Reads a file written by <see cref="Save"/>: the certificate with a private key, and the CA certificate beside
    /// it (for the CA's own file, the CA is both).
    /// </summary>
    public static (X509Certificate2 Certificate, X509Certificate2 Authority) Load(string path, string? password)
    {
        var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, password, X509KeyStorageFlags.Exportable | X509KeyStorageFlags.EphemeralKeySet);
        var own = all.FirstOrDefault(c => c.HasPrivateKey) ?? throw new CryptographicException($"{path} holds no certificate with a private key");
        var authority = all.FirstOrDefault(c => !c.HasPrivateKey && IsAuthority(c)) ?? (IsAuthority(own) ? own : null)
                        ?? throw new CryptographicException($"{path} holds no CA certificate (make it with `runner certs issue`)");
        return (own, authority);
    }

    static bool IsAuthority(X509Certificate2 c) => c.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);
}
