namespace Runner.Artifacts;

/// <summary>
/// Where a worker gets the artifacts a trial needs and puts those it makes: the coordinator's store itself when this
/// process shares the coordinator's state folder (`runner run`, or a shared NFS folder), else the coordinator's HTTP
/// API, with a bounded local cache in front so that nothing this host already has is fetched again.
/// </summary>
public sealed class ArtifactSource
{
    /// <summary>The coordinator's store, when it is on this machine's file system.</summary>
    public ContentStore? Local { get; }
    public ArtifactClient? Remote { get; }
    public ArtifactCache Cache { get; }
    /// <summary>Hears one line per artifact fetched over the network (what, how big, how long).</summary>
    public Action<string>? Log { get; init; }

    public ArtifactSource(ContentStore? local, ArtifactClient? remote, ArtifactCache cache)
    {
        if (local == null && remote == null) throw new ArgumentException("an artifact source needs the coordinator's store or its URL");
        (Local, Remote, Cache) = (local, remote, cache);
    }

    /// <summary>
    /// The source for a worker whose state folder is <paramref name="artifactsFolder"/> (STATE/artifacts): the store
    /// there when <paramref name="coordinatorUrl"/> is null or the store exists there (same machine), and the
    /// coordinator's API otherwise.
    /// </summary>
    public static ArtifactSource For(string artifactsFolder, string? coordinatorUrl, long cacheBytes = ArtifactCache.DefaultMaxBytes,
        Action<string>? log = null, HttpClient? http = null)
    {
        string store = StoreFolder(artifactsFolder);
        var local = coordinatorUrl == null || Directory.Exists(Path.Combine(store, "objects")) ? new ContentStore(store) : null;
        return new ArtifactSource(local, coordinatorUrl == null ? null : new ArtifactClient(coordinatorUrl, http),
            new ArtifactCache(Path.Combine(artifactsFolder, "cache"), cacheBytes)) { Log = log };
    }

    /// <summary>A state folder's artifacts folder (bases, features, checkpoints; the store and the cache inside).</summary>
    public static string FolderIn(string stateFolder) => Path.Combine(stateFolder, "artifacts");

    /// <summary>The coordinator's store inside a state folder's artifacts folder.</summary>
    public static string StoreFolder(string artifactsFolder) => Path.Combine(artifactsFolder, "store");

    /// <summary>
    /// One fetch or unpacking of an artifact at a time in this process (the devices of a host often start trials on
    /// a new base together): the others wait and find it there. Striped, so that the locks do not grow with artifacts.
    /// </summary>
    readonly object[] _gates = Enumerable.Range(0, 32).Select(_ => new object()).ToArray();

    object Gate(string sha) => _gates[Convert.ToInt32(ContentHash.Check(sha)[..2], 16) % _gates.Length];

    /// <summary>A local path holding the artifact's bytes (verified when fetched), fetching it when needed.</summary>
    public string File(string sha, CancellationToken cancel = default)
    {
        if (Local?.Has(sha) == true) return Local.PathOf(sha);
        lock (Gate(sha)) return Fetch(sha, cancel);
    }

    string Fetch(string sha, CancellationToken cancel)
    {
        if (Cache.TryFile(sha) is { } cached) return cached;
        if (Remote == null) throw new ArtifactMissingException($"no artifact {sha[..12]}… in the store at {Local!.Root}");
        string target = Cache.FileOf(sha);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Reach(() => Remote.Download(sha, target, cancel).GetAwaiter().GetResult());
        Log?.Invoke(FormattableString.Invariant($"fetched artifact {sha[..12]}… ({new FileInfo(target).Length / 1048576.0:F2} MiB) in {clock.Elapsed.TotalSeconds:F2} s"));
        Cache.Trim(target);
        return target;
    }

    /// <summary>The unpacked folder of an archive artifact (see <see cref="FolderArchive"/>), fetching and unpacking it when needed.</summary>
    public string Folder(string sha, CancellationToken cancel = default)
    {
        lock (Gate(sha)) return Unpack(sha, cancel);
    }

    string Unpack(string sha, CancellationToken cancel)
    {
        if (Cache.TryFolder(sha) is { } unpacked) return unpacked;
        bool fetched = Local?.Has(sha) != true && Cache.TryFile(sha) == null;
        string archive = Local?.Has(sha) == true ? Local.PathOf(sha) : Fetch(sha, cancel);
        string folder = Cache.FolderOf(sha);
        FolderArchive.Extract(archive, folder);
        // The archive was only the way here: keep one copy (the unpacked one) in the cache.
        if (fetched) System.IO.File.Delete(archive);
        Cache.Trim(folder);
        return folder;
    }

    /// <summary>Puts a file this worker made into the coordinator's store (unless it is there already); returns its SHA-256.</summary>
    public string Publish(string path, CancellationToken cancel = default)
    {
        if (Remote == null) return Local!.Import(path);
        string sha = ContentHash.Of(path);
        if (Local?.Has(sha) == true) return sha;
        Reach(() => Remote.Upload(path, sha, null, cancel).GetAwaiter().GetResult());
        return sha;
    }

    /// <summary>Keeps a copy of a file this host made in its cache (so it is not fetched back), unless the store is here.</summary>
    public void Remember(string path, string sha)
    {
        if (Local?.Has(sha) == true || Cache.TryFile(sha) != null) return;
        string temp = Cache.FileOf(sha) + ".tmp";
        System.IO.File.Copy(path, temp, overwrite: true);
        System.IO.File.Move(temp, Cache.FileOf(sha), overwrite: true);
        Cache.Trim(Cache.FileOf(sha));
    }

    public string? GetRef(string name) => Remote == null ? Local!.GetRef(name) : Reach(() => Remote.GetRef(name).GetAwaiter().GetResult());

    /// <summary>
    /// Points a ref at a published artifact; with <paramref name="claim"/> only if it names none yet (the first
    /// claim wins); with <paramref name="dropPrevious"/> the object it named before is deleted. Returns what it names now.
    /// </summary>
    public string SetRef(string name, string sha, bool claim = false, bool dropPrevious = false)
    {
        if (Remote != null) return Reach(() => Remote.SetRef(name, sha, claim, dropPrevious).GetAwaiter().GetResult());
        return ((IContentStore)Local!).Point(name, sha, claim, dropPrevious);
    }

    /// <summary>Removes a ref and the object it names (a finished trial's checkpoint).</summary>
    public void DropRef(string name)
    {
        if (Remote == null) Local!.DeleteRef(name, withObject: true);
        else Reach(() => Remote.DeleteRef(name).GetAwaiter().GetResult());
    }

    void Reach(Action action) => Reach(() => { action(); return true; });

    /// <summary>Network failures name the coordinator, and say what to change when it only listens on loopback.</summary>
    T Reach<T>(Func<T> action)
    {
        try { return action(); }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            string hint = Remote!.BaseUrl.IsLoopback && Local == null
                ? " (its API listens on loopback only: start the coordinator with --api-host set to an address workers reach)"
                : "";
            throw new IOException($"cannot reach the coordinator's artifact store at {Remote.BaseUrl}{hint}: {e.Message}", e);
        }
    }
}
