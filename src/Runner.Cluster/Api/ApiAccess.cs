using Microsoft.AspNetCore.Http;

namespace Runner.Cluster.Api;

/// <summary>
/// Who may call the API. Without TLS the API is open: it is then bound to loopback, or the operator chose
/// `--insecure`. With TLS every request needs a credential: a client certificate the cluster's CA signed (the TLS
/// handshake already refused any other; nodes and trusted clients hold these, so they act as operators) or a bearer
/// token (`runner token create`), in the Authorization header or, for browsers, the <see cref="Cookie"/> cookie.
/// Reading sweeps, results and workers needs a viewer; everything that changes something, and the artifact store
/// (it holds the users' data and weights), needs an operator.
/// </summary>
public sealed class ApiAccess(ApiTokens tokens, bool credentialsRequired)
{
    public const string Cookie = "runner_token";

    /// <summary>
    /// What anyone may fetch: the dashboard's page and its scripts (they hold no data, and the page must load to show
    /// its login form) and the login itself.
    /// </summary>
    public static bool IsPublic(HttpRequest request) =>
        (request.Path == "/" || request.Path.StartsWithSegments("/ui")) && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        || request.Path == "/session";

    public static ApiRole Needed(HttpRequest request) =>
        request.Path.StartsWithSegments("/artifacts") || request.Path.StartsWithSegments("/refs")
        || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            ? ApiRole.Operator : ApiRole.Viewer;

    /// <summary>Whether a caller needs a credential at all (the API speaks TLS).</summary>
    public bool CredentialsRequired => credentialsRequired;

    /// <summary>The caller's role, or why it has none.</summary>
    public (ApiRole? Role, string Why) RoleOf(HttpContext http)
    {
        if (!credentialsRequired || http.Connection.ClientCertificate != null) return (ApiRole.Operator, "");
        return RoleOfToken(BearerToken(http.Request) ?? http.Request.Cookies[Cookie]);
    }

    /// <summary>The role a token gives, or why it gives none.</summary>
    public (ApiRole? Role, string Why) RoleOfToken(string? token)
    {
        if (token == null)
            return (null, "this API needs credentials: a token (--token or RUNNER_TOKEN; make one with `runner token create`) or a client certificate of the cluster (--tls)");
        return tokens.RoleOf(token) is { } role ? (role, "") : (null, "unknown or revoked token");
    }

    /// <summary>The middleware: 401 without a valid credential, 403 for a viewer asking to act.</summary>
    public async Task Check(HttpContext http, RequestDelegate next)
    {
        if (IsPublic(http.Request))
        {
            await next(http);
            return;
        }
        var (role, why) = RoleOf(http);
        var needed = Needed(http.Request);
        if (role == null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await ApiReply.Json(http, 401, new { error = why });
        }
        else if (role < needed)
            await ApiReply.Json(http, 403, new { error = $"a {Name(role.Value)} token may read but not {http.Request.Method} {http.Request.Path}: that needs an {Name(needed)} token" });
        else await next(http);
    }

    public static string Name(ApiRole role) => role == ApiRole.Operator ? "operator" : "viewer";

    static string? BearerToken(HttpRequest request)
    {
        string header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }
}
