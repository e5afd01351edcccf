using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Runner.Artifacts;

namespace Runner.Cluster.Api;

/// <summary>
/// The coordinator's artifact store over HTTP (the transport is explained in docs/cluster.md):
/// <list type="bullet">
/// <item>HEAD /artifacts/SHA → 200 with its length when stored; else 404 with Upload-Offset: the bytes of an unfinished upload kept</item>
/// <item>GET /artifacts/SHA → the bytes, from a Range: bytes=N- offset when asked (206)</item>
/// <item>PUT /artifacts/SHA with Upload-Offset and Upload-Length → 201 stored and verified; 202 kept, more expected;
/// 409 wrong offset (ask again); 422 bytes that do not hash to SHA (dropped)</item>
/// <item>GET|PUT|DELETE /refs/NAME → {"sha256": …}; PUT ?claim=true sets it only when unset, ?drop_previous=true deletes the object it named</item>
/// </list>
/// Bodies stream through 1 MiB buffers both ways; an upload is exempt from the API's request size limit.
/// </summary>
public sealed class ArtifactRoutes(IContentStore store)
{
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapMethods("/artifacts/{sha}", new[] { "HEAD", "GET", "PUT" }, Artifact);
        app.MapMethods("/refs/{name}", new[] { "GET", "PUT", "DELETE" }, Ref);
    }

    async Task Artifact(HttpContext http)
    {
        string sha = (string)http.Request.RouteValues["sha"]!;
        if (!ContentHash.IsValid(sha))
        {
            await ApiReply.Json(http, 400, new { error = $"'{sha}' is not a SHA-256" });
            return;
        }
        try
        {
            if (HttpMethods.IsHead(http.Request.Method))
            {
                if (store.Has(sha)) http.Response.ContentLength = store.Length(sha);
                else
                {
                    http.Response.StatusCode = 404;
                    http.Response.Headers[ArtifactClient.OffsetHeader] = store.Received(sha).ToString();
                }
            }
            else if (HttpMethods.IsGet(http.Request.Method)) await Send(http, sha);
            else await Receive(http, sha);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The client went away mid-transfer: an upload keeps what arrived; a download resumes from its .part file.
            http.Abort();
        }
    }

    async Task Ref(HttpContext http)
    {
        string name = (string)http.Request.RouteValues["name"]!;
        var request = http.Request;
        if (!ContentStore.IsValidRef(name))
            await ApiReply.Json(http, 400, new { error = $"'{name}' is not a ref name (letters, digits, '.', '-', '_')" });
        else if (HttpMethods.IsGet(request.Method))
        {
            if (store.GetRef(name) is { } target) await ApiReply.Json(http, 200, new ArtifactClient.RefBody(target));
            else await ApiReply.Json(http, 404, new { error = $"no ref {name}" });
        }
        else if (HttpMethods.IsPut(request.Method))
        {
            var body = await JsonSerializer.DeserializeAsync<ArtifactClient.RefBody>(request.Body, ApiReply.Strict, http.RequestAborted);
            if (body?.Sha256 is not { } sha || !ContentHash.IsValid(sha)) await ApiReply.Json(http, 400, new { error = "expected {\"sha256\": SHA}" });
            else if (!store.Has(sha)) await ApiReply.Json(http, 409, new { error = $"no artifact {sha}: upload it first" });
            else await ApiReply.Json(http, 200, new ArtifactClient.RefBody(store.Point(name, sha,
                claim: request.Query["claim"] == "true", dropPrevious: request.Query["drop_previous"] == "true")));
        }
        else
        {
            store.DeleteRef(name, withObject: true);
            await ApiReply.Json(http, 200, new { deleted = name });
        }
    }

    /// <summary>Streams a stored artifact (from a Range offset when asked); with <paramref name="fileName"/>, as a download of that name.</summary>
    internal async Task Send(HttpContext http, string sha, string? fileName = null)
    {
        if (!store.Has(sha))
        {
            await ApiReply.Json(http, 404, new { error = $"no artifact {sha}" });
            return;
        }
        var response = http.Response;
        long length = store.Length(sha), from = RangeStart(http.Request.Headers.Range);
        if (from > length)
        {
            response.StatusCode = 416;
            return;
        }
        if (from > 0)
        {
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {from}-{length - 1}/{length}";
        }
        response.ContentType = "application/octet-stream";
        if (fileName != null) response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        response.ContentLength = length - from;
        await using var bytes = store.OpenRead(sha, from);
        await bytes.CopyToAsync(response.Body, 1 << 20, http.RequestAborted);
    }

    async Task Receive(HttpContext http, string sha)
    {
        var request = http.Request;
        if (!long.TryParse(request.Headers[ArtifactClient.OffsetHeader], out long offset) || !long.TryParse(request.Headers[ArtifactClient.LengthHeader], out long total)
            || offset < 0 || total < offset)
        {
            await ApiReply.Json(http, 400, new { error = $"PUT needs {ArtifactClient.OffsetHeader} and {ArtifactClient.LengthHeader} headers" });
            return;
        }
        // Weights and image folders may be GiBs: they stream to disk, so the API's body limit is for JSON only.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        var outcome = await store.Receive(sha, offset, total, request.Body, http.RequestAborted);
        http.Response.Headers[ArtifactClient.OffsetHeader] = store.Has(sha) ? total.ToString() : store.Received(sha).ToString();
        var (status, text) = outcome switch
        {
            UploadOutcome.Complete => (201, "stored"),
            UploadOutcome.Partial => (202, "kept; send the rest"),
            UploadOutcome.OffsetMismatch => (409, "offset differs from the bytes kept: ask with HEAD"),
            _ => (422, "the bytes do not hash to the artifact's name: dropped"),
        };
        await ApiReply.Json(http, status, new { sha256 = sha, result = text });
    }

    /// <summary>The N of "bytes=N-" (the only range form the client sends); 0 otherwise.</summary>
    static long RangeStart(string? header) =>
        header is { } h && h.StartsWith("bytes=", StringComparison.Ordinal) && h.EndsWith('-') && long.TryParse(h[6..^1], out long n) && n >= 0 ? n : 0;
}
