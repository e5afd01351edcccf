using Npgsql;
using Runner.Results;

namespace Runner.Cluster.Api;

/// <summary>
/// API tokens in the PostgreSQL store's <c>api_tokens</c> table, shared by every coordinator of that store (the
/// active one and its standbys). Reads are kept for <see cref="FreshFor"/>, so a revoked token stops working within
/// that time on every coordinator, and an authenticated request costs no query most of the time.
/// </summary>
public sealed class ApiTokenTable : ApiTokens
{
    public static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(1);

    readonly NpgsqlDataSource _db;
    readonly object _gate = new();
    (DateTime Read, IReadOnlyList<Entry> Entries) _cached = (DateTime.MinValue, Array.Empty<Entry>());
    bool _tableMade;

    public ApiTokenTable(StoreLocation store) => _db = NpgsqlDataSource.Create(store.PostgresConnection!);

    protected override void Add(Entry entry)
    {
        using var insert = Command("INSERT INTO api_tokens (id, role, sha256, created) VALUES (@id, @role, @sha, @created)");
        insert.Parameters.AddWithValue("id", entry.Id);
        insert.Parameters.AddWithValue("role", entry.Role.ToString().ToLowerInvariant());
        insert.Parameters.AddWithValue("sha", entry.Sha256);
        insert.Parameters.AddWithValue("created", entry.Created);
        insert.ExecuteNonQuery();
        Forget();
    }

    public override bool Revoke(string id)
    {
        using var delete = Command("DELETE FROM api_tokens WHERE id = @id");
        delete.Parameters.AddWithValue("id", id);
        bool removed = delete.ExecuteNonQuery() > 0;
        Forget();
        return removed;
    }

    public override IReadOnlyList<Entry> List()
    {
        lock (_gate)
        {
            if (DateTime.UtcNow - _cached.Read < FreshFor) return _cached.Entries;
            using var select = Command("SELECT id, role, sha256, created FROM api_tokens ORDER BY created");
            using var rows = select.ExecuteReader();
            var entries = new List<Entry>();
            while (rows.Read())
                entries.Add(new Entry(rows.GetString(0), Enum.Parse<ApiRole>(rows.GetString(1), ignoreCase: true), rows.GetString(2),
                    DateTime.SpecifyKind(rows.GetDateTime(3), DateTimeKind.Utc)));
            _cached = (DateTime.UtcNow, entries);
            return entries;
        }
    }

    void Forget()
    {
        lock (_gate) _cached = (DateTime.MinValue, Array.Empty<Entry>());
    }

    NpgsqlCommand Command(string sql)
    {
        if (!_tableMade)
        {
            using var make = _db.CreateCommand("CREATE TABLE IF NOT EXISTS api_tokens (id text PRIMARY KEY, role text NOT NULL, sha256 text NOT NULL, created timestamptz NOT NULL)");
            make.ExecuteNonQuery();
            _tableMade = true;
        }
        return _db.CreateCommand(sql);
    }
}
