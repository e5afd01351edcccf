using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Runner.Cluster.Api;

/// <summary>The API's one JSON shape on the wire (snake_case) and how a reply is written.</summary>
public static class ApiReply
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // Replies are JSON for programs and people, never embedded in HTML: quotes stay quotes.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// What a request body from a client is read with: a missing or null field the types require, a field nobody
    /// knows, or nesting deeper than any real request are refused (400) rather than guessed at.
    /// </summary>
    public static readonly JsonSerializerOptions Strict = new(Options)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        MaxDepth = 16,
    };

    /// <summary>A JSON error as a person reads it: where in the body, and what, without .NET's namespaces or byte offsets.</summary>
    public static string Readable(JsonException e)
    {
        string message = e.Message;
        int tail = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (tail < 0) tail = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        if (tail >= 0) message = message[..tail];
        message = System.Text.RegularExpressions.Regex.Replace(message, @"Runner\.[\w.]*[.+](\w+)", "$1");
        return $"bad JSON{(string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : " at " + e.Path)}: {message}";
    }

    public static async Task Json(HttpContext http, int status, object body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body, body, Options, http.RequestAborted);
    }
}
