using System.Security.Cryptography;
using Runner.Artifacts;

namespace Runner.Artifacts.Tests;

/// <summary>
/// The artifact routes and the HTTP client over a store: the same behaviour whether the coordinator keeps artifacts in
/// a folder or in its PostgreSQL database.
/// </summary>
public abstract class TransferTests
{
    /// <summary>A new, empty store (a folder under <paramref name="root"/>, or a fresh database).</summary>
    protected abstract IContentStore NewStore(string root);

    /// <summary>Overwrites the first <paramref name="bytes"/> bytes of a stored artifact with zeros, where it is kept.</summary>
    protected abstract void Spoil(IContentStore store, string sha, int bytes);

    ArtifactServer Server(string root) => new(NewStore(root));

    static string HashOf(Stream stream)
    {
        using (stream) return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    static (string Path, string Sha) RandomFile(string folder, int bytes, int seed = 1)
    {
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        string path = Path.Combine(folder, $"file-{seed}.bin");
        File.WriteAllBytes(path, data);
        return (path, Convert.ToHexStringLower(SHA256.HashData(data)));
    }

    [SkippableFact]
    public async Task An_uploaded_file_downloads_to_the_same_bytes_and_is_not_sent_twice()
    {
        string root = ScratchFolders.New("artifacts");
        using var server = Server(root);
        var client = new ArtifactClient(server.Url);
        var (path, sha) = RandomFile(root, 3_000_000);

        Assert.False(await client.Has(sha));
        Assert.Equal(3_000_000, await client.Upload(path, sha));
        Assert.True(server.Store.Has(sha));
        Assert.Equal(0, await client.Upload(path, sha));   // the coordinator has it: nothing is sent

        string target = Path.Combine(root, "copy.bin");
        await client.Download(sha, target);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(target));
    }

    [SkippableFact]
    public async Task An_upload_resumes_after_the_bytes_the_coordinator_kept()
    {
        string root = ScratchFolders.New("artifacts");
        using var server = Server(root);
        var (path, sha) = RandomFile(root, 2_000_000);
        // An earlier attempt whose connection dropped after 1.2 MB.
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(UploadOutcome.Partial, await server.Store.Receive(sha, 0, bytes.Length, new MemoryStream(bytes, 0, 1_200_000)));

        long sent = await new ArtifactClient(server.Url).Upload(path, sha);
        Assert.Equal(800_000, sent);
        Assert.Equal(sha, HashOf(server.Store.OpenRead(sha, 0)));
    }

    [SkippableFact]
    public async Task A_connection_that_drops_mid_upload_keeps_every_byte_that_arrived()
    {
        string root = ScratchFolders.New("artifacts");
        using var server = Server(root);
        var (path, sha) = RandomFile(root, 2_000_000);
        // The client's connection breaks after 1.5 MB: half-way through the upload protocol's second piece.
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(UploadOutcome.Partial, await server.Store.Receive(sha, 0, bytes.Length, new BreakingStream(bytes, 1_500_000)));
        Assert.Equal(1_500_000, server.Store.Received(sha));

        Assert.Equal(500_000, await new ArtifactClient(server.Url).Upload(path, sha));
        Assert.Equal(sha, HashOf(server.Store.OpenRead(sha, 0)));
    }

    /// <summary>A request body whose connection breaks (IOException) after <paramref name="breakAt"/> bytes.</summary>
    sealed class BreakingStream(byte[] bytes, int breakAt) : Stream
    {
        int _at;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_at >= breakAt) throw new IOException("the connection was reset");
            int n = Math.Min(count, breakAt - _at);
            Array.Copy(bytes, _at, buffer, offset, n);
            _at += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancel = default)
        {
            var array = new byte[buffer.Length];
            int n = Read(array, 0, array.Length);
            array.AsMemory(0, n).CopyTo(buffer);
            return ValueTask.FromResult(n);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => bytes.Length;
        public override long Position { get => _at; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [SkippableFact]
    public async Task A_download_resumes_from_its_part_file_with_a_range_request()
    {
        string root = ScratchFolders.New("artifacts");
        using var server = Server(root);
        var (path, sha) = RandomFile(root, 2_000_000);
        await new ArtifactClient(server.Url).Upload(path, sha);
        string target = Path.Combine(root, "copy.bin");
        File.WriteAllBytes(target + ".part", File.ReadAllBytes(path)[..1_500_000]);
        // Spoil the first part of the coordinator's copy: only a download that asks for the rest alone gets it right.
        Spoil(server.Store, sha, 1_000_000);

        await new ArtifactClient(server.Url).Download(sha, target);
        Assert.Equal(sha, ContentHash.Of(target));
        Assert.False(File.Exists(target + ".part"));
    }

    [SkippableFact]
    public async Task Bytes_that_do_not_hash_to_their_name_are_refused_and_not_stored()
    {
        string root = ScratchFolders.New("artifacts");
        using var server = Server(root);
        var (path, _) = RandomFile(root, 100_000);
        string wrong = new string('a', 64);
        var e = await Assert.ThrowsAsync<IOException>(() => new ArtifactClient(server.Url).Upload(path, wrong));
        Assert.Contains("SHA-256", e.Message);
        Assert.False(server.Store.Has(wrong));
        Assert.Equal(0, server.Store.Received(wrong));
    }

    [SkippableFact]
    public async Task A_missing_artifact_is_a_clear_error_not_a_retry_loop()
    {
        string root = ScratchFolders.New("artifacts");
        using var server = Server(root);
        var e = await Assert.ThrowsAsync<ArtifactMissingException>(() => new ArtifactClient(server.Url).Download(new string('b', 64), Path.Combine(root, "x")));
        Assert.Contains("no artifact", e.Message);
    }

    [SkippableFact]
    public async Task The_first_claim_of_a_ref_wins_and_replacing_a_checkpoint_ref_drops_the_old_object()
    {
        string root = ScratchFolders.New("artifacts");
        using var server = Server(root);
        var client = new ArtifactClient(server.Url);
        var (a, shaA) = RandomFile(root, 1000, seed: 1);
        var (b, shaB) = RandomFile(root, 1000, seed: 2);
        await client.Upload(a, shaA);
        await client.Upload(b, shaB);

        Assert.Equal(shaA, await client.SetRef("base.k", shaA, claim: true));
        Assert.Equal(shaA, await client.SetRef("base.k", shaB, claim: true));   // a second builder gets the first base
        Assert.Equal(shaA, await client.GetRef("base.k"));

        await client.SetRef("checkpoint.t", shaA);
        await client.SetRef("checkpoint.t", shaB, dropPrevious: true);
        Assert.False(server.Store.Has(shaA));
        await client.DeleteRef("checkpoint.t");
        Assert.Null(await client.GetRef("checkpoint.t"));
        Assert.False(server.Store.Has(shaB));
    }

    [SkippableFact]
    public async Task Names_that_are_not_hashes_or_ref_names_are_refused_before_they_reach_the_disk()
    {
        string root = ScratchFolders.New("artifacts");
        using var server = Server(root);
        using var http = new HttpClient();
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await http.GetAsync(server.Url + "artifacts/..%2F..%2Fetc%2Fpasswd")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await http.GetAsync(server.Url + "refs/a%20b")).StatusCode);
    }
}

public sealed class FolderTransferTests : TransferTests
{
    protected override IContentStore NewStore(string root) => new ContentStore(Path.Combine(root, "store"));

    protected override void Spoil(IContentStore store, string sha, int bytes)
    {
        using var stored = new FileStream(((ContentStore)store).PathOf(sha), FileMode.Open, FileAccess.Write);
        stored.Write(new byte[bytes]);
    }
}

/// <summary>The same, with the store in a real PostgreSQL 15 (one server for the class, a database per test).</summary>
public sealed class PostgresTransferTests : TransferTests, IDisposable
{
    readonly PostgresServer? _server = PostgresServer.WhyNot() == null ? new PostgresServer() : null;
    int _databases;

    readonly Dictionary<IContentStore, string> _connections = new();

    protected override IContentStore NewStore(string root)
    {
        Skip.If(_server == null, PostgresServer.WhyNot());
        string url = _server!.NewDatabase($"artifacts{Interlocked.Increment(ref _databases)}");
        string connection = Runner.Results.StoreLocation.Parse(url, root).PostgresConnection!;
        var store = new PostgresContentStore(connection);
        _connections[store] = connection;
        return store;
    }

    protected override void Spoil(IContentStore store, string sha, int bytes)
    {
        // The first chunk's first bytes, zeroed in place.
        using var db = new Npgsql.NpgsqlConnection(_connections[store]);
        db.Open();
        using var spoil = new Npgsql.NpgsqlCommand(
            "UPDATE artifact_chunks SET bytes = overlay(bytes placing decode(repeat('00', @n), 'hex') from 1) WHERE sha = @sha AND start = 0", db);
        spoil.Parameters.AddWithValue("n", bytes);
        spoil.Parameters.AddWithValue("sha", sha);
        Assert.Equal(1, spoil.ExecuteNonQuery());
    }

    public void Dispose() => _server?.Dispose();
}
