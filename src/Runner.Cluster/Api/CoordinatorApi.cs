using System.Net;
using System.Text.Json;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Runner.Cluster.Hosting;
using Runner.Cluster.Security;
using Runner.Sweeps;

namespace Runner.Cluster.Api;

/// <summary>How the coordinator's HTTP API listens and what it takes.</summary>
public sealed record ApiOptions
{
    /// <summary>An IP address, a host name, or * for every address.</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; } = 4080;
    /// <summary>HTTPS with the node's certificate, and every request needs a credential (<see cref="ApiAccess"/>); null: plain HTTP, open.</summary>
    public ClusterTls? Tls { get; init; }
    /// <summary>The largest request body (a submitted sweep); artifact uploads are exempt (they stream to disk).</summary>
    public long MaxRequestBytes { get; init; } = DefaultMaxRequestBytes;
    /// <summary>The most trials one submitted sweep may have.</summary>
    public int MaxTrials { get; init; } = DefaultMaxTrials;

    public const long DefaultMaxRequestBytes = 256L << 20;
    public const int DefaultMaxTrials = 200_000;
}

/// <summary>
/// The coordinator's HTTP API on Kestrel: how `runner submit|status|cancel|resume`, workers fetching artifacts, and
/// browsers reach a running cluster. A standby coordinator serves it too (sweeps through the cluster, GET /health says
/// which it is), except the artifacts, whose one writer is the active coordinator. JSON in and out; the routes are <see cref="SweepRoutes"/> and
/// <see cref="ArtifactRoutes"/>, the access rules <see cref="ApiAccess"/>. Kestrel's own limits guard it against
/// slow or oversized requests (a body under 240 bytes/s after 5 s, headers over 30 s, a body over
/// <see cref="ApiOptions.MaxRequestBytes"/>: 413); whatever goes wrong in a handler answers with one line, never the
/// internals (those go to the coordinator's log).
/// </summary>
public sealed class CoordinatorApi : IDisposable
{
    /// <summary>The JSON of every reply (and of what clients send).</summary>
    public static JsonSerializerOptions Json => ApiReply.Options;

    public sealed record SubmitRequest(SweepRequest Sweep, bool New = false, bool Rerun = false);

    /// <param name="File">the sweep file's YAML text</param>
    /// <param name="Name">how messages name it (the client's file name)</param>
    /// <param name="Files">each path the file names (as written) → the SHA-256 of what was uploaded for it</param>
    public sealed record SubmitFileRequest(string File, string? Name = null, Dictionary<string, string>? Files = null, bool New = false, bool Rerun = false);

    readonly WebApplication _app;
    /// <summary>Kept models (the active coordinator's; a standby has none to hand out).</summary>
    readonly ModelRoutes? _models;
    public string Url { get; }

    public CoordinatorApi(RunnerNode node, ApiOptions options, params IApiModule[] modules)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.Services.AddRouting();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            foreach (var address in Addresses(options.Host))
                kestrel.Listen(address, options.Port, listen =>
                {
                    if (options.Tls is { } tls) listen.UseHttps(Https(tls));
                });
        });
        _app = builder.Build();
        _app.Use(Errors);
        var access = new ApiAccess(ApiTokens.For(node.Options.StoreLocation), credentialsRequired: options.Tls != null);
        _app.Use(access.Check);
        var store = node.Options.IsStandby ? null : ArtifactsOf(node.Options);
        SweepRoutes.Map(_app, node, options.MaxTrials, store);
        _app.MapGet("/health", http => ApiReply.Json(http, 200, new { Role = node.Options.IsStandby ? NodeRoles.Standby : NodeRoles.Coordinator, Cluster = node.Address.ToString() }));
        if (node.Options.IsStandby)
            // Artifacts have one writer, the active coordinator; clients with a list of coordinators move on to it.
            _app.MapMethods("/{kind:regex(^(artifacts|refs)$)}/{name}", new[] { "HEAD", "GET", "PUT", "DELETE" },
                http => ApiReply.Json(http, 503, new { error = "this coordinator is a standby: artifacts go to the active one" }));
        else
        {
            var artifacts = new ArtifactRoutes(store!);
            artifacts.Map(_app);
            _models = new ModelRoutes(node, store!, artifacts);
            _models.Map(_app);
        }
        foreach (var module in modules) module.Map(_app, new ApiModuleContext(node, access, options));
        _app.MapFallback(http => ApiReply.Json(http, 404, new { error = $"no such endpoint: {http.Request.Method} {http.Request.Path}" }));
        _app.StartAsync().GetAwaiter().GetResult();
        string bound = _app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound).Port;
        string shown = options.Host is "*" or "+" ? "0.0.0.0" : options.Host.Contains(':') ? $"[{options.Host}]" : options.Host;
        Url = $"{(options.Tls != null ? "https" : "http")}://{shown}:{port}/";
    }

    /// <summary>
    /// Where the coordinator keeps artifacts: its PostgreSQL store, where a standby that takes over finds them; else
    /// (SQLite, or --artifacts DIR) a folder.
    /// </summary>
    static Runner.Artifacts.IContentStore ArtifactsOf(NodeOptions o) =>
        o.StoreLocation.PostgresConnection is { } db && o.ArtifactsFolder == null
            ? new Runner.Artifacts.PostgresContentStore(db)
            : new Runner.Artifacts.ContentStore(o.ArtifactStoreFolder);

    /// <summary>
    /// HTTPS with this node's certificate; a client may present a certificate, and one that this cluster's CA did not
    /// sign ends the handshake. Clients without one authenticate with a token instead.
    /// </summary>
    static HttpsConnectionAdapterOptions Https(ClusterTls tls) => new()
    {
        ServerCertificate = tls.Certificate,
        ClientCertificateMode = ClientCertificateMode.AllowCertificate,
        ClientCertificateValidation = (certificate, _, _) =>
        {
            if (tls.Accepts(certificate, out string why)) return true;
            Serilog.Log.Warning("API: refused a client certificate: {Why}", why);
            return false;
        },
    };

    static IEnumerable<IPAddress> Addresses(string host) => host switch
    {
        "*" or "+" or "0.0.0.0" => new[] { IPAddress.Any },
        "localhost" => new[] { IPAddress.Loopback },
        _ when IPAddress.TryParse(host.Trim('[', ']'), out var ip) => new[] { ip },
        _ => Dns.GetHostAddresses(host).Take(1),
    };

    /// <summary>Every failure as one JSON line with a status a client can act on.</summary>
    static async Task Errors(HttpContext http, RequestDelegate next)
    {
        (int Status, string Message) failure;
        try
        {
            await next(http);
            return;
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) { failure = (e.StatusCode, e.StatusCode == 413 ? "the request is larger than this coordinator takes" : e.Message); }
        catch (SweepConflictException e) { failure = (409, e.Message); }
        catch (JsonException e) { failure = (400, ApiReply.Readable(e)); }
        catch (AskTimeoutException) { failure = (503, "the cluster did not answer in time (is a coordinator up?)"); }
        catch (System.Data.Common.DbException e) { failure = (503, $"the coordinator's store does not answer ({e.Message}); sweeps wait and carry on when it is back"); }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested) { return; }
        catch (Exception e)
        {
            Serilog.Log.Error(e, "API: {Method} {Path} failed", http.Request.Method, http.Request.Path);
            failure = (500, "internal error (the coordinator's log has the details)");
        }
        if (http.Response.HasStarted) return;
        http.Response.Clear();
        await ApiReply.Json(http, failure.Status, new { error = failure.Message });
    }

    public void Dispose()
    {
        _models?.Dispose();
        _app.StopAsync().Wait(TimeSpan.FromSeconds(5));
    }
}
