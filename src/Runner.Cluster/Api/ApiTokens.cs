using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Runner.Cluster.Api;

/// <summary>What a caller of the API may do: viewers read; operators also submit, cancel, resume and move artifacts.</summary>
public enum ApiRole { Viewer, Operator }

/// <summary>
/// The API's bearer tokens, in the coordinator's state folder (<c>api-tokens.json</c>, 0600). A token is shown once,
/// when made; the file keeps only its SHA-256 (tokens are 256 random bits, so a plain hash is as strong as a slow
/// one) with its role and a short public id to list and revoke it by. The coordinator reads the file again when it
/// changes, so a token made or revoked while it runs counts at once.
/// </summary>
public sealed class ApiTokens(string file)
{
    public const string FileName = "api-tokens.json";
    const string Prefix = "runner_";

    public sealed record Entry(string Id, ApiRole Role, string Sha256, DateTime Created);

    readonly object _gate = new();
    (DateTime Stamp, long Length, IReadOnlyList<Entry> Entries) _loaded = (DateTime.MinValue, -1, Array.Empty<Entry>());

    public static ApiTokens In(string stateFolder) => new(Path.Combine(stateFolder, FileName));

    /// <summary>Makes a token with <paramref name="role"/>; returns it (the only time it exists outside the caller's hands) and its id.</summary>
    public (string Token, string Id) Create(ApiRole role)
    {
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        string token = Prefix + id + "_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        lock (_gate) Save(List().Append(new Entry(id, role, Hash(token), DateTime.UtcNow)).ToList());
        return (token, id);
    }

    /// <summary>Removes the token with this id; false when there is none.</summary>
    public bool Revoke(string id)
    {
        lock (_gate)
        {
            var all = List();
            if (all.All(e => e.Id != id)) return false;
            Save(all.Where(e => e.Id != id).ToList());
            return true;
        }
    }

    public IReadOnlyList<Entry> List()
    {
        lock (_gate)
        {
            var info = new FileInfo(file);
            if (!info.Exists) return Array.Empty<Entry>();
            if (info.LastWriteTimeUtc != _loaded.Stamp || info.Length != _loaded.Length)
                _loaded = (info.LastWriteTimeUtc, info.Length, JsonSerializer.Deserialize<Entry[]>(File.ReadAllText(file), Json) ?? Array.Empty<Entry>());
            return _loaded.Entries;
        }
    }

    /// <summary>The role of a presented token; null for an unknown one. Compared in constant time.</summary>
    public ApiRole? RoleOf(string token)
    {
        byte[] presented = Convert.FromHexString(Hash(token));
        foreach (var entry in List())
            if (CryptographicOperations.FixedTimeEquals(presented, Convert.FromHexString(entry.Sha256))) return entry.Role;
        return null;
    }

    void Save(IReadOnlyList<Entry> entries)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        string temp = file + ".tmp";
        File.WriteAllText(temp, "");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(temp, JsonSerializer.Serialize(entries, Json));
        File.Move(temp, file, overwrite: true);
        _loaded = (DateTime.MinValue, -1, Array.Empty<Entry>());
    }

    static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
