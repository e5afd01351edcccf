namespace Runner.Artifacts;

/// <summary>
/// A worker's copies of artifacts it fetched, in one folder bounded in size: when an addition takes it over
/// <see cref="MaxBytes"/>, the entries used longest ago go first. An entry is a file (<c>SHA</c>) or an unpacked
/// archive (<c>SHA.d/</c>); its last use is its write time, touched on every use. Entries used in the last
/// <see cref="InUseWindow"/> are never evicted: a trial running on this host may still be reading them.
/// </summary>
public sealed class ArtifactCache
{
    public static readonly TimeSpan InUseWindow = TimeSpan.FromMinutes(10);
    public const long DefaultMaxBytes = 20L << 30;

    public string Root { get; }
    public long MaxBytes { get; }

    public ArtifactCache(string root, long maxBytes = DefaultMaxBytes)
    {
        Root = Path.GetFullPath(root);
        MaxBytes = maxBytes;
        Directory.CreateDirectory(Root);
    }

    public string FileOf(string sha) => Path.Combine(Root, ContentHash.Check(sha));
    public string FolderOf(string sha) => Path.Combine(Root, ContentHash.Check(sha) + ".d");

    /// <summary>The cached file, marked as just used; null when absent.</summary>
    public string? TryFile(string sha) => Touch(FileOf(sha), isFolder: false);

    /// <summary>The unpacked folder of a cached archive, marked as just used; null when absent.</summary>
    public string? TryFolder(string sha) => Touch(FolderOf(sha), isFolder: true);

    static string? Touch(string path, bool isFolder)
    {
        if (isFolder ? !Directory.Exists(path) : !File.Exists(path)) return null;
        try
        {
            if (isFolder) Directory.SetLastWriteTimeUtc(path, DateTime.UtcNow);
            else File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        }
        catch (IOException) { /* read-only or busy: the entry is still good */ }
        return path;
    }

    /// <summary>Evicts least recently used entries until the cache fits, keeping <paramref name="keep"/> and anything in use.</summary>
    public void Trim(params string[] keep)
    {
        var entries = new DirectoryInfo(Root).EnumerateFileSystemInfos()
            .Where(e => !e.Name.EndsWith(".part", StringComparison.Ordinal) && !e.Name.EndsWith(".tmp", StringComparison.Ordinal))
            .Select(e => (Entry: e, Bytes: SizeOf(e)))
            .ToList();
        long total = entries.Sum(e => e.Bytes);
        var cutoff = DateTime.UtcNow - InUseWindow;
        foreach (var (entry, bytes) in entries.OrderBy(e => e.Entry.LastWriteTimeUtc))
        {
            if (total <= MaxBytes) break;
            if (keep.Contains(entry.FullName) || entry.LastWriteTimeUtc > cutoff) continue;
            if (entry is DirectoryInfo d) d.Delete(recursive: true);
            else entry.Delete();
            total -= bytes;
        }
    }

    internal long SizeBytes() => new DirectoryInfo(Root).EnumerateFileSystemInfos().Sum(SizeOf);

    static long SizeOf(FileSystemInfo e) => e is DirectoryInfo d
        ? d.EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
        : ((FileInfo)e).Length;
}
