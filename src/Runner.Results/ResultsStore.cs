using System.Data.Common;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using Runner.Sweeps;

namespace Runner.Results;

/// <summary>
/// The results store: a row per sweep and per trial, kept current by the projection of the sweeps' events and
/// readable while no cluster runs (tables, reports, reuse by trial id): one SQLite file (state/results.db), or two
/// tables of the cluster's PostgreSQL database (<see cref="StoreLocation"/>), readable from any machine. Writes are
/// upserts, so a projection that replays events leaves the same rows. The SQL is the same for both but for
/// <see cref="IdsIn"/>.
/// </summary>
public sealed class ResultsStore
{

    static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
    /// <summary>The statuses of rows that have a result, as an SQL list: such a row is never downgraded, and is what reuse looks for.</summary>
    static readonly string WithResult = string.Join(", ", TrialStatuses.WithResult.Select(s => $"'{s.Text()}'"));
    public const string FileName = "results.db";
    readonly string? _sqlite;
    readonly NpgsqlDataSource? _postgres;

    public StoreLocation Location { get; }

    long _writes;

    /// <summary>How many batches this process has written: a copy of rows read before it changed may be stale.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    public ResultsStore(string stateFolder) : this(StoreLocation.InFolder(stateFolder)) { }

    public ResultsStore(StoreLocation location)
    {
        Location = location;
        if (location.PostgresConnection is { } connection) _postgres = NpgsqlDataSource.Create(connection);
        else
        {
            Directory.CreateDirectory(location.StateFolder);
            _sqlite = new SqliteConnectionStringBuilder { DataSource = Path.Combine(location.StateFolder, FileName), Pooling = false, DefaultTimeout = 30 }.ToString();
            Execute("PRAGMA journal_mode = WAL");
        }
        // Coordinators starting together on one PostgreSQL database take turns creating the tables. Once they exist
        // nothing is run: CREATE INDEX IF NOT EXISTS would wait for a lock behind the active coordinator's writes (a
        // standby joining while a big batch is written timed out on it).
        if (_postgres != null && Exists("trials_by_id")) return;
        Execute((_postgres != null ? "SELECT pg_advisory_xact_lock(74281);\n" : "") + """
            CREATE TABLE IF NOT EXISTS sweeps (sweep_id TEXT PRIMARY KEY, name TEXT NOT NULL, trials INTEGER NOT NULL, submitted_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS trials (
              sweep_id TEXT NOT NULL, trial_id TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
              worker TEXT, spec TEXT NOT NULL, result TEXT, failure TEXT, updated_at TEXT NOT NULL,
              PRIMARY KEY (sweep_id, trial_id));
            CREATE INDEX IF NOT EXISTS trials_by_id ON trials (trial_id, status);
            """, transaction: true);
    }

    /// <summary>Where the store is, for messages.</summary>
    public override string ToString() => Location.ToString();

    /// <summary>The rows of a JSON array parameter, as a sub-query: the one place the two databases' SQL differs.</summary>
    string IdsIn(string parameter) => _postgres != null
        ? $"SELECT jsonb_array_elements_text(CAST({parameter} AS jsonb))"
        : $"SELECT value FROM json_each({parameter})";

    internal void UpsertSweep(SweepRecord row) => Write(new object[] { row });

    /// <summary>Records a trial's state; a completed row is never downgraded (the first completion stands).</summary>
    internal void UpsertTrial(TrialRecord row) => Write(new object[] { row });

    /// <summary>
    /// Upserts sweep and trial rows in order, in one transaction: the projection writes whatever queued up while the
    /// previous batch was being written, so a burst of trial events costs one commit, not one per row. Each statement
    /// is prepared once per batch, and a trial row that exists is updated without its spec (written once, when the
    /// row is inserted), which is most of the cost of a row; only a tuned winner's run (its spec marked
    /// <see cref="Sweeps.TrialSpec.TunedBy"/>, which a search's own trial becomes when its seed is among seeds_after) has
    /// its spec written again.
    /// </summary>
    public void Write(IReadOnlyList<object> rows)
    {
        WriteRows(rows);
        Interlocked.Increment(ref _writes);
    }

    void WriteRows(IReadOnlyList<object> rows)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        using var sweep = Prepare(db, "INSERT INTO sweeps VALUES (@id, @name, @n, @at) ON CONFLICT(sweep_id) DO UPDATE SET name = @name, trials = @n",
            "id", "name", "n", "at");
        using var update = Prepare(db, $"""
            UPDATE trials SET status = @status, attempts = @attempts, worker = @worker, result = @result, failure = @failure, updated_at = @at
            WHERE sweep_id = @sweep AND trial_id = @trial AND status NOT IN ({WithResult})
            """, "sweep", "trial", "status", "attempts", "worker", "result", "failure", "at");
        // No row updated: either there is none yet, or it has a result and keeps it (DO NOTHING).
        using var insert = Prepare(db, """
            INSERT INTO trials VALUES (@sweep, @trial, @status, @attempts, @worker, @spec, @result, @failure, @at)
            ON CONFLICT(sweep_id, trial_id) DO NOTHING
            """, "sweep", "trial", "status", "attempts", "worker", "spec", "result", "failure", "at");
        using var respec = Prepare(db, "UPDATE trials SET spec = @spec WHERE sweep_id = @sweep AND trial_id = @trial", "sweep", "trial", "spec");
        string now = DateTime.UtcNow.ToString("O");
        foreach (object row in rows)
        {
            switch (row)
            {
                case SweepRecord s:
                    Run(sweep, s.SweepId, s.Name, s.Trials, s.SubmittedAt.ToString("O"));
                    break;
                case TrialRecord t:
                    object worker = (object?)t.Worker ?? DBNull.Value, failure = (object?)t.Failure ?? DBNull.Value;
                    object result = t.Result == null ? DBNull.Value : JsonSerializer.Serialize(t.Result, Json);
                    if (Run(update, t.SweepId, t.TrialId, t.Status.Text(), t.Attempts, worker, result, failure, now) == 0)
                        Run(insert, t.SweepId, t.TrialId, t.Status.Text(), t.Attempts, worker, JsonSerializer.Serialize(t.Spec, Json), result, failure, now);
                    if (t.Spec.TunedBy != null) Run(respec, t.SweepId, t.TrialId, JsonSerializer.Serialize(t.Spec, Json));
                    break;
                default:
                    throw new ArgumentException($"not a results row: {row.GetType().Name}");
            }
        }
        transaction.Commit();
    }

    static DbCommand Prepare(DbConnection db, string sql, params string[] parameters)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        foreach (string name in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    static DbCommand Command(DbConnection db, string sql, params (string Name, object Value)[] args)
    {
        var cmd = Prepare(db, sql, args.Select(a => a.Name).ToArray());
        for (int i = 0; i < args.Length; i++) cmd.Parameters[i].Value = args[i].Value;
        return cmd;
    }

    /// <summary>Runs a prepared statement with its parameters' values in order; returns the rows changed.</summary>
    static int Run(DbCommand cmd, params object[] values)
    {
        for (int i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i];
        return cmd.ExecuteNonQuery();
    }

    public IReadOnlyList<TrialRecord> Trials(string sweepId) =>
        Query("SELECT sweep_id, trial_id, status, attempts, worker, spec, result, failure FROM trials WHERE sweep_id = @s", ("s", sweepId));

    /// <summary>Completed results of these trial ids from any sweep of this state folder.</summary>
    public IReadOnlyList<TrialResult> CompletedResults(IEnumerable<string> trialIds)
    {
        // The ids go in as one JSON array, so only the wanted rows are read and parsed, however large the store.
        string ids = JsonSerializer.Serialize(trialIds.Distinct().ToArray());
        return Query($"""
            SELECT sweep_id, trial_id, status, attempts, worker, spec, result, failure FROM trials
            WHERE status IN ({WithResult}) AND trial_id IN ({IdsIn("@ids")})
            """, ("ids", ids))
            .Where(r => r.Result != null).DistinctBy(r => r.TrialId).Select(r => r.Result!).ToList();
    }

    /// <summary>When a trial of the sweep last changed (its last result, normally), or null.</summary>
    public DateTime? LastUpdate(string sweepId)
    {
        using var db = Open();
        using var cmd = Command(db, $"SELECT MAX(updated_at) FROM trials WHERE sweep_id = @s AND status IN ({WithResult}, '{TrialStatus.Failed.Text()}')", ("s", sweepId));
        return cmd.ExecuteScalar() is string text ? DateTime.Parse(text, null, System.Globalization.DateTimeStyles.RoundtripKind) : null;
    }

    public IReadOnlyList<SweepRecord> Sweeps()
    {
        using var db = Open();
        using var cmd = Command(db, "SELECT sweep_id, name, trials, submitted_at FROM sweeps ORDER BY submitted_at");
        using var reader = cmd.ExecuteReader();
        var rows = new List<SweepRecord>();
        while (reader.Read())
            rows.Add(new SweepRecord(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), DateTime.Parse(reader.GetString(3), null, System.Globalization.DateTimeStyles.RoundtripKind)));
        return rows;
    }

    List<TrialRecord> Query(string sql, params (string Name, object Value)[] args)
    {
        using var db = Open();
        using var cmd = Command(db, sql, args);
        using var reader = cmd.ExecuteReader();
        var rows = new List<TrialRecord>();
        while (reader.Read())
        {
            var result = reader.IsDBNull(6) ? null : JsonSerializer.Deserialize<TrialResult>(reader.GetString(6), Json);
            // Rows written before the status was one type say "completed" for stopped and diverged results too.
            var status = EnumText.Parse<TrialStatus>(reader.GetString(2));
            if (status == TrialStatus.Completed && result != null && result.Status.HasResult()) status = result.Status;
            rows.Add(new TrialRecord(reader.GetString(0), reader.GetString(1), status, reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                JsonSerializer.Deserialize<TrialSpec>(reader.GetString(5), Json)!, result,
                reader.IsDBNull(7) ? null : reader.GetString(7)));
        }
        return rows;
    }

    /// <summary>Whether a table or index of this name exists (PostgreSQL), without taking a lock on it.</summary>
    bool Exists(string relation)
    {
        using var db = Open();
        using var cmd = Prepare(db, $"SELECT to_regclass('{relation}') IS NOT NULL");
        return (bool)cmd.ExecuteScalar()!;
    }

    void Execute(string sql, bool transaction = false)
    {
        using var db = Open();
        using var t = transaction ? db.BeginTransaction() : null;
        Execute(db, sql);
        t?.Commit();
    }

    static void Execute(DbConnection db, string sql)
    {
        using var cmd = Prepare(db, sql);
        cmd.ExecuteNonQuery();
    }

    DbConnection Open()
    {
        if (_postgres != null) return _postgres.OpenConnection();
        var db = new SqliteConnection(_sqlite);
        db.Open();
        // WAL with NORMAL sync survives a crash of the process (not of the machine's power) without an fsync per
        // commit; the store is a projection the sweeps' journal can always rebuild, so that is the right trade.
        Execute(db, "PRAGMA synchronous = NORMAL");
        return db;
    }
}
