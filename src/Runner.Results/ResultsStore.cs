using System.Text.Json;
using Microsoft.Data.Sqlite;
using Runner.Sweeps;

namespace Runner.Results;

/// <summary>
/// The results store: one SQLite file (state/results.db) with a row per sweep and per trial, kept current by the
/// projection of the sweeps' events and readable while no cluster runs (tables, reports, reuse by trial id).
/// Writes are upserts, so a projection that replays events leaves the same rows.
/// </summary>
public sealed class ResultsStore
{

    static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
    /// <summary>The statuses of rows that have a result, as an SQL list: such a row is never downgraded, and is what reuse looks for.</summary>
    static readonly string WithResult = string.Join(", ", TrialStatuses.WithResult.Select(s => $"'{s.Text()}'"));
    readonly string _connection;

    public string Path { get; }

    public ResultsStore(string stateFolder)
    {
        Directory.CreateDirectory(stateFolder);
        Path = System.IO.Path.Combine(stateFolder, "results.db");
        _connection = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false, DefaultTimeout = 30 }.ToString();
        Execute("""
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS sweeps (sweep_id TEXT PRIMARY KEY, name TEXT NOT NULL, trials INTEGER NOT NULL, submitted_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS trials (
              sweep_id TEXT NOT NULL, trial_id TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
              worker TEXT, spec TEXT NOT NULL, result TEXT, failure TEXT, updated_at TEXT NOT NULL,
              PRIMARY KEY (sweep_id, trial_id));
            CREATE INDEX IF NOT EXISTS trials_by_id ON trials (trial_id, status);
            """);
    }

    public void UpsertSweep(SweepRecord row) => Write(new object[] { row });

    /// <summary>Records a trial's state; a completed row is never downgraded (the first completion stands).</summary>
    public void UpsertTrial(TrialRecord row) => Write(new object[] { row });

    /// <summary>
    /// Upserts sweep and trial rows in order, in one transaction: the projection writes whatever queued up while the
    /// previous batch was being written, so a burst of trial events costs one commit, not one per row. Each statement
    /// is prepared once per batch, and a trial row that exists is updated without its spec (written once, when the
    /// row is inserted), which is most of the cost of a row.
    /// </summary>
    public void Write(IReadOnlyList<object> rows)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        using var sweep = Prepare(db, "INSERT INTO sweeps VALUES ($id, $name, $n, $at) ON CONFLICT(sweep_id) DO UPDATE SET name = $name, trials = $n",
            "$id", "$name", "$n", "$at");
        using var update = Prepare(db, $"""
            UPDATE trials SET status = $status, attempts = $attempts, worker = $worker, result = $result, failure = $failure, updated_at = $at
            WHERE sweep_id = $sweep AND trial_id = $trial AND status NOT IN ({WithResult})
            """, "$sweep", "$trial", "$status", "$attempts", "$worker", "$result", "$failure", "$at");
        // No row updated: either there is none yet, or it has a result and keeps it (DO NOTHING).
        using var insert = Prepare(db, """
            INSERT INTO trials VALUES ($sweep, $trial, $status, $attempts, $worker, $spec, $result, $failure, $at)
            ON CONFLICT(sweep_id, trial_id) DO NOTHING
            """, "$sweep", "$trial", "$status", "$attempts", "$worker", "$spec", "$result", "$failure", "$at");
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
                    break;
                default:
                    throw new ArgumentException($"not a results row: {row.GetType().Name}");
            }
        }
        transaction.Commit();
    }

    static SqliteCommand Prepare(SqliteConnection db, string sql, params string[] parameters)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        foreach (string name in parameters) cmd.Parameters.Add(new SqliteParameter { ParameterName = name });
        return cmd;
    }

    /// <summary>Runs a prepared statement with its parameters' values in order; returns the rows changed.</summary>
    static int Run(SqliteCommand cmd, params object[] values)
    {
        for (int i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i];
        return cmd.ExecuteNonQuery();
    }

    public IReadOnlyList<TrialRecord> Trials(string sweepId) =>
        Query("SELECT sweep_id, trial_id, status, attempts, worker, spec, result, failure FROM trials WHERE sweep_id = $s", ("$s", sweepId));

    /// <summary>Completed results of these trial ids from any sweep of this state folder.</summary>
    public IReadOnlyList<TrialResult> CompletedResults(IEnumerable<string> trialIds)
    {
        // The ids go in as one JSON array, so only the wanted rows are read and parsed, however large the store.
        string ids = JsonSerializer.Serialize(trialIds.Distinct().ToArray());
        return Query($"""
            SELECT sweep_id, trial_id, status, attempts, worker, spec, result, failure FROM trials
            WHERE status IN ({WithResult}) AND trial_id IN (SELECT value FROM json_each($ids))
            """, ("$ids", ids))
            .Where(r => r.Result != null).DistinctBy(r => r.TrialId).Select(r => r.Result!).ToList();
    }

    /// <summary>When a trial of the sweep last changed (its last result, normally), or null.</summary>
    public DateTime? LastUpdate(string sweepId)
    {
        using var db = Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT MAX(updated_at) FROM trials WHERE sweep_id = $s AND status IN ({WithResult}, '{TrialStatus.Failed.Text()}')";
        cmd.Parameters.AddWithValue("$s", sweepId);
        return cmd.ExecuteScalar() is string text ? DateTime.Parse(text, null, System.Globalization.DateTimeStyles.RoundtripKind) : null;
    }

    public IReadOnlyList<SweepRecord> Sweeps()
    {
        using var db = Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT sweep_id, name, trials, submitted_at FROM sweeps ORDER BY submitted_at";
        using var reader = cmd.ExecuteReader();
        var rows = new List<SweepRecord>();
        while (reader.Read())
            rows.Add(new SweepRecord(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), DateTime.Parse(reader.GetString(3), null, System.Globalization.DateTimeStyles.RoundtripKind)));
        return rows;
    }

    List<TrialRecord> Query(string sql, params (string, object)[] args)
    {
        using var db = Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
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

    void Execute(string sql)
    {
        using var db = Open();
        Execute(db, sql);
    }

    static void Execute(SqliteConnection db, string sql)
    {
        using var cmd = Prepare(db, sql);
        cmd.ExecuteNonQuery();
    }

    SqliteConnection Open()
    {
        var db = new SqliteConnection(_connection);
        db.Open();
        // WAL with NORMAL sync survives a crash of the process (not of the machine's power) without an fsync per
        // commit; the store is a projection the sweeps' journal can always rebuild, so that is the right trade.
        Execute(db, "PRAGMA synchronous = NORMAL");
        return db;
    }
}
