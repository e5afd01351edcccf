using System.Net.Http.Json;
using System.Text.Json;
using Runner.Artifacts;
using Runner.Cluster.Api;

namespace Runner.Cli;

/// <summary>Talks to a coordinator's HTTP API (see <see cref="CoordinatorApi"/>) for submit, status, cancel and resume.</summary>
public sealed class CoordinatorClient
{
    readonly HttpClient _http;
    readonly ApiCredentials _credentials;
    readonly Lazy<string> _baseUrl;
    /// <summary>The coordinator this client talks to: with a list, the active one (else the first that answers).</summary>
    public string BaseUrl => _baseUrl.Value;

    /// <param name="addresses">HOST:PORT or a URL; several, comma-separated, for coordinators that stand by for each other</param>
    public CoordinatorClient(string addresses, ApiCredentials? credentials = null)
    {
        _credentials = credentials ?? ApiCredentials.None;
        _http = _credentials.Client(TimeSpan.FromSeconds(30));
        var urls = addresses.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(_credentials.BaseUrl).ToList();
        if (urls.Count == 0) throw new UsageException("--coordinator is empty");
        _baseUrl = new Lazy<string>(() => urls.Count == 1 ? urls[0] : Choose(urls));
    }

    /// <summary>
    /// Asks each coordinator of the list what it is (GET /health): the active one wins; a standby serves everything
    /// but artifacts, so it will do when the active one does not answer.
    /// </summary>
    string Choose(IReadOnlyList<string> urls)
    {
        using var probe = _credentials.Client(TimeSpan.FromSeconds(3));
        string? standby = null;
        foreach (string url in urls)
        {
            try
            {
                using var doc = JsonDocument.Parse(probe.GetStringAsync(url + "health").GetAwaiter().GetResult());
                if (doc.RootElement.GetProperty("role").GetString() == "coordinator") return url;
                standby ??= url;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException) { }
        }
        return standby ?? throw new CommandFailedException($"no coordinator answers at {string.Join(", ", urls)}; start one with `runner coordinator` or pass --coordinator HOST:PORT[,HOST:PORT]");
    }

    public static CoordinatorClient From(Arguments args) =>
        new(ClusterWiring.Setting(args, "coordinator", "RUNNER_COORDINATOR", "127.0.0.1:4080"), ClusterWiring.Credentials(args));

    /// <summary>The same coordinator's artifact store, with the same credentials.</summary>
    public ArtifactClient Artifacts() => new(BaseUrl, _credentials.Client(Timeout.InfiniteTimeSpan));

    public (int Status, JsonElement Body) Send(HttpMethod method, string path, object? body = null)
    {
        try
        {
            using var request = new HttpRequestMessage(method, BaseUrl + path);
            if (body != null) request.Content = JsonContent.Create(body, options: CoordinatorApi.Json);
            using var response = _http.Send(request);
            string text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(text) ? "{}" : text);
            return ((int)response.StatusCode, doc.RootElement.Clone());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            string why = e.InnerException is System.Security.Authentication.AuthenticationException
                ? "the TLS handshake failed: the coordinator's certificate is not one of this cluster's CA, or it refused ours"
                : e.Message + (_credentials.Secure ? "" : "; a coordinator started with --tls needs --ca FILE.crt or --tls FILE.pfx here");
            throw new CommandFailedException($"cannot reach the coordinator API at {BaseUrl} ({why}); start one with `runner coordinator` or pass --coordinator HOST:PORT");
        }
    }

    /// <summary>The body on success; a one-line error (exit 2 for a client mistake, 1 otherwise) for anything else.</summary>
    public JsonElement Expect(HttpMethod method, string path, object? body = null)
    {
        var (status, json) = Send(method, path, body);
        if (status == 200) return json;
        string message = json.TryGetProperty("error", out var e) ? e.GetString() ?? "" : $"HTTP {status}";
        if (status is 404 or 409 or 400 or 413) throw new BadRequestException(message);
        throw new CommandFailedException(message);
    }
}
