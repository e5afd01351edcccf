using System.Security.Cryptography;

namespace Runner.Artifacts;

/// <summary>The one name an artifact has everywhere: the lower-case hex SHA-256 of its bytes.</summary>
public static class ContentHash
{
    public static string Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Of(stream);
    }

    public static string Of(Stream bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Whether the bytes are the artifact <paramref name="sha"/>: the one check before anything is trusted by its name.</summary>
    public static bool Matches(Stream bytes, string sha) => Of(bytes) == sha;

    /// <summary>Whether the file holds the artifact <paramref name="sha"/>.</summary>
    public static bool Matches(string path, string sha) => Of(path) == sha;

    /// <summary>64 lower-case hex digits: anything else is refused before it becomes part of a path.</summary>
    public static bool IsValid(string? text) =>
        text is { Length: 64 } && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    public static string Check(string text) =>
        IsValid(text) ? text : throw new ArgumentException($"'{text}' is not a SHA-256 (64 lower-case hex digits)");
}
