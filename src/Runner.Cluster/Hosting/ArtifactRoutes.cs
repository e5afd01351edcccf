using System.Net;
using System.Text.Json;
using Runner.Artifacts;

namespace Runner.Cluster.Hosting;

/// <summary>
/// The coordinator's artifact store over HTTP (the transport is explained in docs/cluster.md):
/// <list type="bullet">
/// <item>HEAD /artifacts/SHA → 200 with its length when stored; else 404 with Upload-Offset: the bytes of an unfinished upload kept</item>
/// <item>GET /artifacts/SHA → the bytes, from a Range: bytes=N- offset when asked (206)</item>
/// <item>PUT /artifacts/SHA with Upload-Offset and Upload-Length → 201 stored and verified; 202 kept, more expected;
/// 409 wrong offset (ask again); 422 bytes that do not hash to SHA (dropped)</item>
/// <item>GET|PUT|DELETE /refs/NAME → {"sha256": …}; PUT ?claim=true sets it only when unset, ?drop_previous=true deletes the object it named</item>
/// </list>
/// Bodies stream through 1 MiB buffers both ways.
/// </summary>
public sealed class ArtifactRoutes(ContentStore store)
{
    public static bool Serves(string[] path) => path is ["artifacts", _] or ["refs", _];

    public async Task Handle(HttpListenerContext http, string[] path)
    {
        var (request, response) = (http.Request, http.Response);
        try
        {
            string kind = path[0], id = path[1];
            switch (kind, request.HttpMethod)
            {
                case ("artifacts", _) when !ContentHash.IsValid(id):
                    await Json(response, 400, new { error = $"'{id}' is not a SHA-256" });
                    break;
                case ("artifacts", "HEAD"):
                    if (store.Has(id)) response.ContentLength64 = new FileInfo(store.PathOf(id)).Length;
                    else
                    {
                        response.StatusCode = 404;
                        response.Headers[ArtifactClient.OffsetHeader] = store.Received(id).ToString();
                    }
                    response.Close();
                    break;
                case ("artifacts", "GET"):
                    await Send(request, response, id);
                    break;
                case ("artifacts", "PUT"):
                    await Receive(request, response, id);
                    break;
                case ("refs", _) when !ContentStore.IsValidRef(id):
                    await Json(response, 400, new { error = $"'{id}' is not a ref name (letters, digits, '.', '-', '_')" });
                    break;
                case ("refs", "GET"):
                    if (store.GetRef(id) is { } target) await Json(response, 200, new ArtifactClient.RefBody(target));
                    else await Json(response, 404, new { error = $"no ref {id}" });
                    break;
                case ("refs", "PUT"):
                    var body = await JsonSerializer.DeserializeAsync<ArtifactClient.RefBody>(request.InputStream, CoordinatorApi.Json);
                    if (body?.Sha256 is not { } sha || !ContentHash.IsValid(sha)) await Json(response, 400, new { error = "expected {\"sha256\": SHA}" });
                    else if (!store.Has(sha)) await Json(response, 409, new { error = $"no artifact {sha}: upload it first" });
                    else await Json(response, 200, new ArtifactClient.RefBody(store.Point(id, sha,
                        claim: request.QueryString["claim"] == "true", dropPrevious: request.QueryString["drop_previous"] == "true")));
                    break;
                case ("refs", "DELETE"):
                    store.DeleteRef(id, withObject: true);
                    await Json(response, 200, new { deleted = id });
                    break;
                default:
                    await Json(response, 405, new { error = $"{request.HttpMethod} is not served on {request.Url!.AbsolutePath}" });
                    break;
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away mid-transfer: an upload keeps what arrived; a download resumes from its .part file.
            try { response.Abort(); } catch (Exception) { }
        }
    }

    async Task Send(HttpListenerRequest request, HttpListenerResponse response, string sha)
    {
        if (!store.Has(sha))
        {
            await Json(response, 404, new { error = $"no artifact {sha}" });
            return;
        }
        await using var file = new FileStream(store.PathOf(sha), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        long from = RangeStart(request.Headers["Range"]);
        if (from > file.Length)
        {
            response.StatusCode = 416;
            response.Close();
            return;
        }
        if (from > 0)
        {
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {from}-{file.Length - 1}/{file.Length}";
            file.Seek(from, SeekOrigin.Begin);
        }
        response.ContentType = "application/octet-stream";
        response.ContentLength64 = file.Length - from;
        await file.CopyToAsync(response.OutputStream, 1 << 20);
        response.Close();
    }

    async Task Receive(HttpListenerRequest request, HttpListenerResponse response, string sha)
    {
        if (!long.TryParse(request.Headers[ArtifactClient.OffsetHeader], out long offset) || !long.TryParse(request.Headers[ArtifactClient.LengthHeader], out long total)
            || offset < 0 || total < offset)
        {
            await Json(response, 400, new { error = $"PUT needs {ArtifactClient.OffsetHeader} and {ArtifactClient.LengthHeader} headers" });
            return;
        }
        var outcome = await store.Receive(sha, offset, total, request.InputStream);
        response.Headers[ArtifactClient.OffsetHeader] = store.Has(sha) ? total.ToString() : store.Received(sha).ToString();
        var (status, text) = outcome switch
        {
            UploadOutcome.Complete => (201, "stored"),
            UploadOutcome.Partial => (202, "kept; send the rest"),
            UploadOutcome.OffsetMismatch => (409, "offset differs from the bytes kept: ask with HEAD"),
            _ => (422, "the bytes do not hash to the artifact's name: dropped"),
        };
        await Json(response, status, new { sha256 = sha, result = text });
    }

    /// <summary>The N of "bytes=N-" (the only range form the client sends); 0 otherwise.</summary>
    static long RangeStart(string? header) =>
        header is { } h && h.StartsWith("bytes=", StringComparison.Ordinal) && h.EndsWith('-') && long.TryParse(h[6..^1], out long n) && n >= 0 ? n : 0;

    static async Task Json(HttpListenerResponse response, int status, object body)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(response.OutputStream, body, CoordinatorApi.Json);
        response.Close();
    }
}
