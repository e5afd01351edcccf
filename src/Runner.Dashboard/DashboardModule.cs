using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Runner.Cluster.Api;

namespace Runner.Dashboard;

/// <summary>
/// The web dashboard on the coordinator's API port:
/// <list type="bullet">
/// <item>GET / and /ui/* → the page, its script and style (embedded; nothing is fetched from anywhere else)</item>
/// <item>POST /session {token} → the token checked and kept in an HttpOnly, SameSite=Strict cookie; DELETE /session forgets it</item>
/// <item>GET /whoami → {role, credentials_required}: what the page may offer (cancel and resume for operators)</item>
/// <item>GET /events → server-sent events: a live snapshot (<see cref="LiveFeed"/>) whenever something changed</item>
/// <item>the views of <see cref="SweepViews"/>: tables, trials, one trial, points</item>
/// </list>
/// Access is the API's (<see cref="ApiAccess"/>): viewers look, operators act.
/// </summary>
public sealed class DashboardModule : IApiModule
{
    /// <summary>How often an idle event stream says it is alive (proxies drop silent connections).</summary>
    static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public void Map(WebApplication app, ApiModuleContext context)
    {
        var feed = new LiveFeed(context.Node);
        app.MapGet("/", http => Asset(http, "index.html"));
        app.MapGet("/ui/{file}", http => Asset(http, (string)http.Request.RouteValues["file"]!));
        app.MapPost("/session", http => Login(http, context));
        app.MapDelete("/session", http =>
        {
            http.Response.Cookies.Delete(ApiAccess.Cookie);
            return ApiReply.Json(http, 200, new { Role = (string?)null });
        });
        app.MapGet("/whoami", http => ApiReply.Json(http, 200, new
        {
            Role = context.Access.RoleOf(http).Role is { } role ? ApiAccess.Name(role) : null,
            context.Access.CredentialsRequired,
        }));
        app.MapGet("/events", http => Events(http, feed));
        SweepViews.Map(app, context.Node);
    }

    static readonly Dictionary<string, string> ContentTypes = new()
    {
        [".html"] = "text/html; charset=utf-8", [".js"] = "text/javascript; charset=utf-8", [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    static async Task Asset(HttpContext http, string file)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ui/" + file);
        if (stream == null || !ContentTypes.TryGetValue(Path.GetExtension(file), out var type))
        {
            await ApiReply.Json(http, 404, new { error = $"no such file: /ui/{file}" });
            return;
        }
        http.Response.ContentType = type;
        // Nothing but this server, and no framing by other sites.
        http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.CacheControl = "no-cache";
        await stream.CopyToAsync(http.Response.Body, http.RequestAborted);
    }

    sealed record LoginRequest(string Token);

    static async Task Login(HttpContext http, ApiModuleContext context)
    {
        var login = await JsonSerializer.DeserializeAsync<LoginRequest>(http.Request.Body, ApiReply.Strict, http.RequestAborted)
                    ?? throw new JsonException("the body is empty");
        var (role, why) = context.Access.RoleOfToken(login.Token.Trim());
        if (role == null)
        {
            await ApiReply.Json(http, 401, new { error = why });
            return;
        }
        http.Response.Cookies.Append(ApiAccess.Cookie, login.Token.Trim(), new CookieOptions
        {
            HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps, Path = "/", MaxAge = TimeSpan.FromDays(30),
        });
        await ApiReply.Json(http, 200, new { Role = ApiAccess.Name(role.Value) });
    }

    static async Task Events(HttpContext http, LiveFeed feed)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        using var watching = feed.Watch();
        long seen = 0;
        try
        {
            while (!http.RequestAborted.IsCancellationRequested)
            {
                var next = await feed.Next(seen, KeepAlive, http.RequestAborted);
                if (next == null) await http.Response.WriteAsync(": alive\n\n", http.RequestAborted);
                else
                {
                    await http.Response.WriteAsync($"event: live\nid: {next.Version}\ndata: {next.Json}\n\n", http.RequestAborted);
                    seen = next.Version;
                }
                await http.Response.Body.FlushAsync(http.RequestAborted);
            }
        }
        catch (OperationCanceledException) { /* the browser went away */ }
    }
}
