using Npgsql;

namespace Runner.Artifacts;

/// <summary>
/// Artifacts in the coordinators' PostgreSQL database, so that a standby coordinator that takes over finds every
/// base, upload and checkpoint the previous one stored, with no shared folder. An artifact is rows of
/// <c>artifact_chunks</c> (up to 1 MiB each, at their byte offset), written as they arrive, so an interrupted upload
/// resumes after the last stored chunk; it counts as stored once <c>artifact_objects</c> has its row, written only
/// after the chunks hashed to its name. Refs are rows of <c>artifact_refs</c>. Reads stream one chunk at a time.
/// </summary>
public sealed class PostgresContentStore : IContentStore, IUploadSpace
{
    readonly NpgsqlDataSource _db;
    /// <summary>One writer per artifact within this process (the active coordinator is the one writer of the store).</summary>
    readonly UploadProtocol _uploads;

    public PostgresContentStore(string connectionString)
    {
        _db = NpgsqlDataSource.Create(connectionString);
        _uploads = new UploadProtocol(this);
        // Coordinators starting together take turns; once the tables exist nothing is run (see ResultsStore).
        if ((bool)Scalar("SELECT to_regclass('artifact_refs') IS NOT NULL")!) return;
        using var db = _db.OpenConnection();
        using var transaction = db.BeginTransaction();
        using var make = new NpgsqlCommand("""
            SELECT pg_advisory_xact_lock(74282);
            CREATE TABLE IF NOT EXISTS artifact_chunks (sha text NOT NULL, start bigint NOT NULL, bytes bytea NOT NULL, PRIMARY KEY (sha, start));
            CREATE TABLE IF NOT EXISTS artifact_objects (sha text PRIMARY KEY, length bigint NOT NULL);
            CREATE TABLE IF NOT EXISTS artifact_refs (name text PRIMARY KEY, sha text NOT NULL);
            """, db, transaction);
        make.ExecuteNonQuery();
        transaction.Commit();
    }

    public bool Has(string sha) => Scalar("SELECT 1 FROM artifact_objects WHERE sha = @sha", ("sha", ContentHash.Check(sha))) != null;

    public long Length(string sha) => (long)(Scalar("SELECT length FROM artifact_objects WHERE sha = @sha", ("sha", ContentHash.Check(sha)))
                                             ?? throw new FileNotFoundException($"no artifact {sha}"));

    public long Received(string sha) =>
        (long)Scalar("SELECT coalesce(sum(length(bytes)), 0)::bigint FROM artifact_chunks WHERE sha = @sha", ("sha", ContentHash.Check(sha)))!;

    public Task<UploadOutcome> Receive(string sha, long offset, long total, Stream body, CancellationToken cancel = default) =>
        _uploads.Receive(sha, offset, total, body, cancel);

    /// <summary>A piece of an upload is one row of <c>artifact_chunks</c> at its byte offset.</summary>
    async Task IUploadSpace.Append(string sha, long at, ReadOnlyMemory<byte> bytes)
    {
        await using var insert = _db.CreateCommand("INSERT INTO artifact_chunks (sha, start, bytes) VALUES (@sha, @start, @bytes)");
        insert.Parameters.AddWithValue("sha", sha);
        insert.Parameters.AddWithValue("start", at);
        insert.Parameters.AddWithValue("bytes", bytes.ToArray());
        await insert.ExecuteNonQueryAsync(CancellationToken.None);
    }

    Stream IUploadSpace.ReadPart(string sha) => Chunks(sha, 0);

    void IUploadSpace.DropPart(string sha) => Delete(sha);

    /// <summary>The artifact counts as stored from this row on (its chunks are already there).</summary>
    void IUploadSpace.Publish(string sha, long length) =>
        Execute("INSERT INTO artifact_objects (sha, length) VALUES (@sha, @length) ON CONFLICT (sha) DO NOTHING", ("sha", sha), ("length", length));

    public Stream OpenRead(string sha, long from) =>
        Has(sha) ? Chunks(sha, from) : throw new FileNotFoundException($"no artifact {sha}");

    Stream Chunks(string sha, long from) => new ChunkStream(_db, ContentHash.Check(sha), from);

    public void Delete(string sha)
    {
        Execute("DELETE FROM artifact_objects WHERE sha = @sha", ("sha", ContentHash.Check(sha)));
        Execute("DELETE FROM artifact_chunks WHERE sha = @sha", ("sha", sha));
    }

    // ----- refs -----

    public string? GetRef(string name) => (string?)Scalar(
        "SELECT r.sha FROM artifact_refs r JOIN artifact_objects o ON o.sha = r.sha WHERE r.name = @name", ("name", ValidRef(name)));

    public string? SetRef(string name, string sha)
    {
        if (!Has(sha)) throw new FileNotFoundException($"no artifact {sha} in the store");
        using var db = _db.OpenConnection();
        using var transaction = db.BeginTransaction();
        string? before;
        using (var old = new NpgsqlCommand(
                   "SELECT r.sha FROM artifact_refs r JOIN artifact_objects o ON o.sha = r.sha WHERE r.name = @name FOR UPDATE OF r", db, transaction))
        {
            old.Parameters.AddWithValue("name", ValidRef(name));
            before = (string?)old.ExecuteScalar();
        }
        using (var set = new NpgsqlCommand("INSERT INTO artifact_refs (name, sha) VALUES (@name, @sha) ON CONFLICT (name) DO UPDATE SET sha = @sha", db, transaction))
        {
            set.Parameters.AddWithValue("name", name);
            set.Parameters.AddWithValue("sha", sha);
            set.ExecuteNonQuery();
        }
        transaction.Commit();
        return before;
    }

    public string Claim(string name, string sha)
    {
        if (!Has(sha)) throw new FileNotFoundException($"no artifact {sha} in the store");
        // Set unless the ref names an object that exists: one statement, so two claims at once cannot both win.
        Execute("""
            INSERT INTO artifact_refs (name, sha) VALUES (@name, @sha)
            ON CONFLICT (name) DO UPDATE SET sha = @sha WHERE NOT EXISTS (SELECT 1 FROM artifact_objects o WHERE o.sha = artifact_refs.sha)
            """, ("name", ValidRef(name)), ("sha", sha));
        return GetRef(name) ?? sha;
    }

    public void DeleteRef(string name, bool withObject)
    {
        string? sha = (string?)Scalar("DELETE FROM artifact_refs WHERE name = @name RETURNING sha", ("name", ValidRef(name)));
        if (withObject && sha != null) Delete(sha);
    }

    static string ValidRef(string name) => ContentStore.IsValidRef(name) ? name : throw new ArgumentException($"'{name}' is not a valid ref name");

    object? Scalar(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = _db.CreateCommand(sql);
        foreach (var (n, v) in parameters) command.Parameters.AddWithValue(n, v);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    void Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = _db.CreateCommand(sql);
        foreach (var (n, v) in parameters) command.Parameters.AddWithValue(n, v);
        command.ExecuteNonQuery();
    }

    /// <summary>An artifact's bytes from an offset on, read one chunk (one query) at a time.</summary>
    sealed class ChunkStream(NpgsqlDataSource db, string sha, long position) : Stream
    {
        byte[] _chunk = Array.Empty<byte>();
        int _at;
        bool _first = true, _ended;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_at == _chunk.Length && !Next()) return 0;
            int n = Math.Min(count, _chunk.Length - _at);
            Array.Copy(_chunk, _at, buffer, offset, n);
            _at += n;
            position += n;
            return n;
        }

        /// <summary>Loads the chunk that holds <c>position</c> (the first one may start before it); false at the end.</summary>
        bool Next()
        {
            if (_ended) return false;
            using var command = db.CreateCommand(_first
                ? "SELECT start, bytes FROM artifact_chunks WHERE sha = @sha AND start <= @at ORDER BY start DESC LIMIT 1"
                : "SELECT start, bytes FROM artifact_chunks WHERE sha = @sha AND start = @at");
            command.Parameters.AddWithValue("sha", sha);
            command.Parameters.AddWithValue("at", position);
            using var row = command.ExecuteReader();
            if (!row.Read())
            {
                _ended = true;
                return false;
            }
            long start = row.GetInt64(0);
            _chunk = (byte[])row.GetValue(1);
            _at = (int)(position - start);
            _first = false;
            if (_at >= _chunk.Length)
            {
                _ended = true;
                return false;
            }
            return true;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
