using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Runner.Cluster.Security;

namespace Runner.Cluster.Api;

/// <summary>
/// How a client (the CLI, a worker fetching artifacts) talks to a coordinator's API: over HTTPS when it holds the
/// cluster's certificate file (<paramref name="Tls"/>, also presented as its client certificate) or just the CA's
/// public certificate (<paramref name="Authority"/>), trusting only servers that CA signed; with a bearer
/// <paramref name="Token"/> when it has one. Plain HTTP with neither.
/// </summary>
public sealed record ApiCredentials(ClusterTls? Tls = null, X509Certificate2? Authority = null, string? Token = null)
{
    public static readonly ApiCredentials None = new();

    public bool Secure => Tls != null || Authority != null;

    /// <summary>A coordinator address as a base URL: HOST:PORT gets https:// when this client speaks TLS.</summary>
    public string BaseUrl(string address) =>
        address.StartsWith("http://", StringComparison.Ordinal) || address.StartsWith("https://", StringComparison.Ordinal)
            ? address.TrimEnd('/') + "/"
            : $"{(Secure ? "https" : "http")}://{address}/";

    public HttpClient Client(TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (Secure)
        {
            var authority = Tls?.Authority ?? Authority!;
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = Tls == null ? null : new X509CertificateCollection { Tls.Certificate },
                // The cluster's CA, never the system's trust store; nodes are addressed by IP as often as by name.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    ClusterTls.SignedBy(authority, certificate as X509Certificate2 ?? (certificate == null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData())), out _),
            };
        }
        var http = new HttpClient(handler) { Timeout = timeout };
        if (Token != null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return http;
    }
}
