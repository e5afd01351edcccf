using System.Security.Cryptography;
using System.Text;
using Runner.Results;

namespace Runner.Cluster.Api;

/// <summary>What a caller of the API may do: viewers read; operators also submit, cancel, resume and move artifacts.</summary>
public enum ApiRole { Viewer, Operator }

/// <summary>
/// The API's bearer tokens. A token is shown once, when made; only its SHA-256 is kept (tokens are 256 random bits,
/// so a plain hash is as strong as a slow one) with its role and a short public id to list and revoke it by. Where
/// they are kept follows the store: the state folder's <c>api-tokens.json</c> (<see cref="ApiTokenFile"/>), or a
/// table of the PostgreSQL store (<see cref="ApiTokenTable"/>), which every coordinator of that store reads, so a
/// token still works after a standby took over. A token made or revoked while a coordinator runs counts at once.
/// </summary>
public abstract class ApiTokens
{
    public const string FileName = ApiTokenFile.Name;
    const string Prefix = "runner_";

    public sealed record Entry(string Id, ApiRole Role, string Sha256, DateTime Created);

    /// <summary>The tokens of coordinators on <paramref name="store"/>.</summary>
    public static ApiTokens For(StoreLocation store) => store.IsPostgres ? new ApiTokenTable(store) : In(store.StateFolder);

    /// <summary>The tokens of a state folder's coordinator (SQLite store).</summary>
    public static ApiTokens In(string stateFolder) => new ApiTokenFile(Path.Combine(stateFolder, FileName));

    /// <summary>Makes a token with <paramref name="role"/>; returns it (the only time it exists outside the caller's hands) and its id.</summary>
    public (string Token, string Id) Create(ApiRole role)
    {
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        string token = Prefix + id + "_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Add(new Entry(id, role, Hash(token), DateTime.UtcNow));
        return (token, id);
    }

    /// <summary>Removes the token with this id; false when there is none.</summary>
    public abstract bool Revoke(string id);

    public abstract IReadOnlyList<Entry> List();

    protected abstract void Add(Entry entry);

    /// <summary>The role of a presented token; null for an unknown one. Compared in constant time.</summary>
    public ApiRole? RoleOf(string token)
    {
        byte[] presented = Convert.FromHexString(Hash(token));
        foreach (var entry in List())
            if (CryptographicOperations.FixedTimeEquals(presented, Convert.FromHexString(entry.Sha256))) return entry.Role;
        return null;
    }

    static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
