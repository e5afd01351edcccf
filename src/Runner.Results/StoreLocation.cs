using Npgsql;

namespace Runner.Results;

/// <summary>A store address that cannot be used: the message says why.</summary>
public sealed class StoreLocationException(string message) : Exception(message);

/// <summary>
/// Where a coordinator keeps what must outlive it (the sweeps' journal and snapshots, sharding's state, the results
/// store): SQLite files in its state folder, the embedded default, or one PostgreSQL database that several
/// coordinators and any reader can reach (`--store postgresql://USER@HOST:PORT/DB`). A password is never part of
/// the address: it comes from $RUNNER_STORE_PASSWORD, the file named by $RUNNER_STORE_PASSWORD_FILE, or libpq's
/// $PGPASSWORD.
/// </summary>
public sealed record StoreLocation(string StateFolder, string? PostgresConnection = null, string? Url = null)
{
    public bool IsPostgres => PostgresConnection != null;

    /// <summary>How messages name the store: the URL (no password), or the state folder.</summary>
    public override string ToString() => Url ?? StateFolder;

    public static StoreLocation InFolder(string stateFolder) => new(stateFolder);

    /// <summary><paramref name="url"/> null or empty: SQLite in <paramref name="stateFolder"/>.</summary>
    public static StoreLocation Parse(string? url, string stateFolder)
    {
        if (string.IsNullOrWhiteSpace(url)) return InFolder(stateFolder);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgresql" or "postgres"))
            throw new StoreLocationException($"'{url}' is not a store address: postgresql://USER@HOST[:PORT]/DATABASE");
        string database = uri.AbsolutePath.Trim('/');
        if (database.Length == 0 || uri.Host.Length == 0)
            throw new StoreLocationException($"'{url}' names no host or database: postgresql://USER@HOST[:PORT]/DATABASE");
        if (uri.UserInfo.Contains(':'))
            throw new StoreLocationException("a store address carries no password (it would show in process lists): put it in RUNNER_STORE_PASSWORD or RUNNER_STORE_PASSWORD_FILE");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host, Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port, Database = Uri.UnescapeDataString(database),
            Username = uri.UserInfo.Length > 0 ? Uri.UnescapeDataString(uri.UserInfo) : Environment.UserName,
            // A coordinator must not wait forever on a database that went away: its journal writes fail and say so.
            Timeout = 15, CommandTimeout = 30,
        };
        if (EnvironmentSecret.Read("RUNNER_STORE_PASSWORD") is { } password) builder.Password = password;
        return new StoreLocation(stateFolder, builder.ConnectionString, $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}");
    }
}
