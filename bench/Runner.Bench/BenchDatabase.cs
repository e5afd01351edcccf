using Npgsql;
using Runner.Results;

namespace Runner.Bench;

/// <summary>
/// A benchmark's own PostgreSQL database, made on the server of `--store URL` (whose user may create databases) and
/// dropped at the end, so every run starts empty and leaves nothing behind.
/// </summary>
public sealed class BenchDatabase : IDisposable
{
    readonly string _admin;
    readonly string _name;
    /// <summary>The new database's address, for `--store`.</summary>
    public string Url { get; }

    public BenchDatabase(string serverUrl, string purpose)
    {
        var server = StoreLocation.Parse(serverUrl, Path.GetTempPath());
        _admin = server.PostgresConnection!;
        _name = $"runner_bench_{purpose}_{Guid.NewGuid():N}"[..40];
        Execute($"CREATE DATABASE {_name}");
        var builder = new NpgsqlConnectionStringBuilder(_admin);
        Url = $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{_name}";
    }

    void Execute(string sql)
    {
        using var db = new NpgsqlConnection(_admin);
        db.Open();
        using var cmd = new NpgsqlCommand(sql, db);
        cmd.ExecuteNonQuery();
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try { Execute($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)"); }
        catch (NpgsqlException) { /* the server went away: nothing to drop */ }
    }
}
