using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace Runner.Cluster.Security;

/// <summary>A TLS file that cannot be used (missing, wrong password, no key, no CA): the message says which and why.</summary>
public sealed class TlsSetupException(string message) : Exception(message);

/// <summary>
/// Mutual TLS for Akka remoting: this node presents its certificate and accepts a peer (either side of a connection)
/// only when the peer's certificate chains to the cluster's CA, the one in this node's own file. The system trust
/// store is not consulted; expired or not-yet-valid certificates are refused; hostnames are not checked (nodes are
/// addressed by IP as often as by name). Addresses become <c>akka.ssl.tcp://</c>.
/// </summary>
public sealed class ClusterTls
{
    public const string Scheme = "akka.ssl.tcp", PlainScheme = "akka.tcp";
    public X509Certificate2 Certificate { get; }
    public X509Certificate2 Authority { get; }

    ClusterTls(X509Certificate2 certificate, X509Certificate2 authority) => (Certificate, Authority) = (certificate, authority);

    /// <summary>
    /// Reads a node's file (`runner certs issue`); its password, if any, from $RUNNER_TLS_PASSWORD or the file named by
    /// $RUNNER_TLS_PASSWORD_FILE (never a flag: flags show in process lists).
    /// </summary>
    public static ClusterTls Load(string path)
    {
        if (!File.Exists(path)) throw new TlsSetupException($"{path}: no such certificate file (make one with `runner certs issue`)");
        string? password = Runner.Results.EnvironmentSecret.Read("RUNNER_TLS_PASSWORD");
        try
        {
            var (certificate, authority) = ClusterCertificates.Load(path, password);
            return new ClusterTls(certificate, authority);
        }
        catch (CryptographicException e)
        {
            throw new TlsSetupException($"{path}: cannot read it as a Runner certificate file ({e.Message}; a password goes in RUNNER_TLS_PASSWORD or RUNNER_TLS_PASSWORD_FILE)");
        }
    }

    public static ClusterTls From(X509Certificate2 certificate, X509Certificate2 authority) => new(certificate, authority);

    /// <summary>The remoting setup: mutual authentication, and <see cref="Accepts"/> as the only trust decision.</summary>
    public DotNettySslSetup RemotingSetup() =>
        new(Certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false,
            customValidator: (certificate, _, peer, _, log) =>
            {
                if (Accepts(certificate, out string why)) return true;
                log.Warning("Refused a TLS connection with {0}: {1}", peer, why);
                return false;
            });

    /// <summary>Whether a peer's certificate was signed by this cluster's CA and is valid now; else why not.</summary>
    public bool Accepts(X509Certificate2? peer, out string why) => SignedBy(Authority, peer, out why);

    /// <summary>
    /// The one trust decision of every TLS connection Runner makes (remoting, the API, its clients): the certificate
    /// chains to <paramref name="authority"/> alone and is valid now.
    /// </summary>
    public static bool SignedBy(X509Certificate2 authority, X509Certificate2? peer, out string why)
    {
        if (peer == null)
        {
            why = "it presented no certificate";
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = DateTime.Now;
        bool ok = chain.Build(peer) && chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(authority.RawData);
        why = ok ? "" : $"certificate '{peer.Subject}' is not one this cluster's CA signed, or not valid now ({string.Join(", ", chain.ChainStatus.Select(s => s.Status))})";
        return ok;
    }

    /// <summary>The cluster CA's public certificate (`ca.crt`, PEM): what a client holding only a token trusts.</summary>
    public static X509Certificate2 LoadAuthority(string path)
    {
        if (!File.Exists(path)) throw new TlsSetupException($"{path}: no such CA certificate (`runner certs init` writes ca.crt)");
        try { return X509Certificate2.CreateFromPem(File.ReadAllText(path)); }
        catch (CryptographicException e) { throw new TlsSetupException($"{path}: not a PEM certificate ({e.Message})"); }
    }

    /// <summary>The scheme of cluster addresses with or without TLS.</summary>
    public static string SchemeFor(bool tls) => tls ? Scheme : PlainScheme;
}
