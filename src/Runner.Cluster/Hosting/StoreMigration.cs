using Akka.Actor;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Runner.Results;

namespace Runner.Cluster.Hosting;

/// <summary>A migration that cannot start or finish: the message says why; the target is left as it was found or emptied.</summary>
public sealed class StoreMigrationException(string message) : Exception(message);

/// <summary>
/// `runner migrate --from DIR --to postgresql://…`: a state folder's SQLite store (the sweeps' journal and snapshots,
/// sharding's state, the results) and its artifacts copied into an empty PostgreSQL store, so that a user who started on one machine
/// keeps every sweep, finished trial and unfinished one when the cluster grows. The tables are made by the same
/// persistence plugins a coordinator uses (so their shape is theirs), then filled row by row with PostgreSQL's binary
/// COPY, each value converted to the column's type; the state folder is locked meanwhile, so no coordinator writes it.
/// </summary>
public static class StoreMigration
{
    public sealed record Outcome(int Sweeps, int Trials, long Events, long Snapshots, int Artifacts);

    /// <summary>SQLite file and table → PostgreSQL table (sharding's get their own names there, <see cref="ClusterConfig"/>).</summary>
    static readonly (string File, string From, string To)[] JournalTables =
    {
        ("journal.db", "journal", "journal"), ("journal.db", "tags", "tags"), ("journal.db", "journal_metadata", "journal_metadata"),
        ("journal.db", "snapshot", "snapshot"),
        ("sharding.db", "journal", "sharding_journal"), ("sharding.db", "tags", "sharding_tags"),
        ("sharding.db", "journal_metadata", "sharding_journal_metadata"), ("sharding.db", "snapshot", "sharding_snapshot"),
    };

    public static Outcome Run(string fromFolder, StoreLocation to, Action<string> say)
    {
        if (to.PostgresConnection is not { } target) throw new StoreMigrationException("--to must be a postgresql:// store");
        if (!File.Exists(Path.Combine(fromFolder, "journal.db")) || !File.Exists(Path.Combine(fromFolder, ResultsStore.FileName)))
            throw new StoreMigrationException($"{fromFolder} holds no Runner state (journal.db and results.db)");
        using var owner = StateFolderLock.Take(fromFolder);
        var results = new ResultsStore(to);
        if (results.Sweeps().Count > 0 || Rows(target, "journal") > 0)
            throw new StoreMigrationException($"{to} already holds sweeps: migrate into an empty database");

        say($"making the tables in {to}");
        MakeJournalTables(to);
        long events = 0, snapshots = 0;
        using var pg = new NpgsqlConnection(target);
        pg.Open();
        using var transaction = pg.BeginTransaction();
        foreach (var (file, from, table) in JournalTables)
        {
            string path = Path.Combine(fromFolder, file);
            if (!File.Exists(path)) continue;
            long copied = Copy(path, from, pg, table);
            if (table == "journal") events = copied;
            if (table == "snapshot") snapshots = copied;
        }
        foreach (string table in new[] { "sweeps", "trials" }) Copy(Path.Combine(fromFolder, ResultsStore.FileName), table, pg, table);
        transaction.Commit();
        int artifacts = CopyArtifacts(fromFolder, target, say);
        var sweeps = results.Sweeps();
        return new Outcome(sweeps.Count, sweeps.Sum(s => results.Trials(s.SweepId).Count), events, snapshots, artifacts);
    }

    /// <summary>
    /// The state folder's artifacts (bases, the users' uploads, checkpoints of unfinished trials) and refs into the
    /// database, where a coordinator on PostgreSQL keeps them: the migrated sweeps' trials find their bases there.
    /// </summary>
    static int CopyArtifacts(string fromFolder, string target, Action<string> say)
    {
        string folder = Runner.Artifacts.ArtifactSource.StoreFolder(Runner.Artifacts.ArtifactSource.FolderIn(fromFolder));
        if (!Directory.Exists(Path.Combine(folder, "objects"))) return 0;
        var from = new Runner.Artifacts.ContentStore(folder);
        var to = new Runner.Artifacts.PostgresContentStore(target);
        int copied = 0;
        foreach (string file in Directory.EnumerateFiles(Path.Combine(folder, "objects"), "*", SearchOption.AllDirectories))
        {
            string sha = Path.GetFileName(file);
            if (!Runner.Artifacts.ContentHash.IsValid(sha)) continue;
            using var bytes = File.OpenRead(file);
            var outcome = to.Receive(sha, 0, bytes.Length, bytes).GetAwaiter().GetResult();
            if (outcome != Runner.Artifacts.UploadOutcome.Complete)
                throw new StoreMigrationException($"artifact {sha} was not copied ({outcome}): its file in {folder} is damaged or changing");
            copied++;
        }
        foreach (string name in Directory.EnumerateFiles(Path.Combine(folder, "refs")).Select(Path.GetFileName).OfType<string>())
            if (Runner.Artifacts.ContentStore.IsValidRef(name) && !name.EndsWith(".tmp", StringComparison.Ordinal) && from.GetRef(name) is { } sha && to.Has(sha))
                to.SetRef(name, sha);
        if (copied > 0) say($"copied {copied} artifact(s) into the store");
        return copied;
    }

    /// <summary>Starts the coordinator's persistence plugins against the store (they create their tables) and waits for the tables.</summary>
    static void MakeJournalTables(StoreLocation to)
    {
        var config = ClusterConfig.For(new NodeOptions
        {
            Roles = new[] { NodeRoles.Coordinator }, StateFolder = Path.GetTempPath(), Store = to, ExtraConfig = "akka.actor.provider = local",
        });
        using var system = ActorSystem.Create("runner-migrate", config);
        var persistence = Akka.Persistence.Persistence.Instance.Apply(system);
        persistence.JournalFor("akka.persistence.journal.sql");
        persistence.SnapshotStoreFor("akka.persistence.snapshot-store.sql");
        persistence.JournalFor("akka.persistence.journal.sharding");
        persistence.SnapshotStoreFor("akka.persistence.snapshot-store.sharding");
        // The events and snapshots tables are made at start; the others (tags, metadata) only when a plugin needs them.
        string[] made = { "journal", "snapshot", "sharding_journal", "sharding_snapshot" };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (made.Any(t => !Exists(to.PostgresConnection!, t)))
        {
            if (DateTime.UtcNow > deadline)
                throw new StoreMigrationException($"the journal tables did not appear in {to} within 60 s: {string.Join(", ", made.Where(t => !Exists(to.PostgresConnection!, t)))}");
            Thread.Sleep(200);
        }
        system.Terminate().Wait(TimeSpan.FromSeconds(10));
    }

    /// <summary>Copies the columns the two tables share; returns the rows copied.</summary>
    static long Copy(string sqliteFile, string from, NpgsqlConnection pg, string to)
    {
        var targetColumns = new List<(string Name, string Type)>();
        using (var cmd = new NpgsqlCommand("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @t ORDER BY ordinal_position", pg))
        {
            cmd.Parameters.AddWithValue("t", to);
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) targetColumns.Add((reader.GetString(0), reader.GetString(1)));
        }
        using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = sqliteFile, Mode = SqliteOpenMode.ReadOnly }.ToString());
        source.Open();
        var sourceColumns = new HashSet<string>();
        using (var info = source.CreateCommand())
        {
            info.CommandText = $"PRAGMA table_info(\"{from}\")";
            using var reader = info.ExecuteReader();
            while (reader.Read()) sourceColumns.Add(reader.GetString(1));
        }
        if (sourceColumns.Count == 0) return 0;   // a table the source never needed (no tags, no snapshots)
        if (targetColumns.Count == 0)
        {
            using var count = source.CreateCommand();
            count.CommandText = $"SELECT COUNT(*) FROM \"{from}\"";
            if (Convert.ToInt64(count.ExecuteScalar()) == 0) return 0;
            throw new StoreMigrationException($"{Path.GetFileName(sqliteFile)} has rows in {from}, and the PostgreSQL plugins made no table {to} to hold them");
        }
        var columns = targetColumns.Where(c => sourceColumns.Contains(c.Name)).ToList();
        string list = string.Join(", ", columns.Select(c => $"\"{c.Name}\""));
        long rows = 0;
        using (var read = source.CreateCommand())
        {
            read.CommandText = $"SELECT {list} FROM \"{from}\"";
            using var reader = read.ExecuteReader();
            using var writer = pg.BeginBinaryImport($"COPY \"{to}\" ({list}) FROM STDIN (FORMAT BINARY)");
            while (reader.Read())
            {
                writer.StartRow();
                for (int i = 0; i < columns.Count; i++)
                {
                    if (reader.IsDBNull(i)) writer.WriteNull();
                    else Write(writer, reader.GetValue(i), columns[i].Type);
                }
                rows++;
            }
            writer.Complete();
        }
        // Identity and serial columns go on from the largest value copied.
        using (var sequences = new NpgsqlCommand("""
            SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = @t AND (column_default LIKE 'nextval%' OR is_identity = 'YES')
            """, pg))
        {
            sequences.Parameters.AddWithValue("t", to);
            var serial = new List<string>();
            using (var reader = sequences.ExecuteReader()) while (reader.Read()) serial.Add(reader.GetString(0));
            foreach (string column in serial)
            {
                using var set = new NpgsqlCommand($"SELECT setval(pg_get_serial_sequence(@t, @c), GREATEST(COALESCE(MAX(\"{column}\"), 0), 1)) FROM \"{to}\"", pg);
                set.Parameters.AddWithValue("t", $"\"{to}\"");
                set.Parameters.AddWithValue("c", column);
                set.ExecuteScalar();
            }
        }
        return rows;
    }

    /// <summary>One SQLite value (integer, real, text or blob) as the PostgreSQL column's type.</summary>
    static void Write(NpgsqlBinaryImporter writer, object value, string type)
    {
        switch (type)
        {
            case "boolean": writer.Write(Convert.ToInt64(value) != 0, NpgsqlDbType.Boolean); break;
            case "bigint": writer.Write(Convert.ToInt64(value), NpgsqlDbType.Bigint); break;
            case "integer": writer.Write(Convert.ToInt32(value), NpgsqlDbType.Integer); break;
            case "smallint": writer.Write(Convert.ToInt16(value), NpgsqlDbType.Smallint); break;
            case "double precision": writer.Write(Convert.ToDouble(value), NpgsqlDbType.Double); break;
            case "bytea": writer.Write(value as byte[] ?? System.Text.Encoding.UTF8.GetBytes(value.ToString()!), NpgsqlDbType.Bytea); break;
            case "timestamp without time zone" or "timestamp with time zone":
                var time = value is long ticks ? new DateTime(ticks, DateTimeKind.Utc) : DateTime.Parse(value.ToString()!, null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);
                writer.Write(DateTime.SpecifyKind(time, type.EndsWith("with time zone", StringComparison.Ordinal) ? DateTimeKind.Utc : DateTimeKind.Unspecified),
                    type.EndsWith("with time zone", StringComparison.Ordinal) ? NpgsqlDbType.TimestampTz : NpgsqlDbType.Timestamp);
                break;
            default: writer.Write(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!, NpgsqlDbType.Text); break;
        }
    }

    static bool Exists(string connection, string table) => Scalar(connection, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = @t", table) > 0;

    static long Rows(string connection, string table) => Exists(connection, table) ? Scalar(connection, $"SELECT COUNT(*) FROM \"{table}\"", null) : 0;

    static long Scalar(string connection, string sql, string? table)
    {
        using var db = new NpgsqlConnection(connection);
        db.Open();
        using var cmd = new NpgsqlCommand(sql, db);
        if (table != null) cmd.Parameters.AddWithValue("t", table);
        return Convert.ToInt64(cmd.ExecuteScalar());
    }
}
