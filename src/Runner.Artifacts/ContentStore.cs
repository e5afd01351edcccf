using System.Text.RegularExpressions;

namespace Runner.Artifacts;

/// <summary>
/// The coordinator's artifact store: pretrained bases, trial checkpoints, the user's weight files and image-folder
/// archives, each a file named by its SHA-256 (<c>objects/ab/abcdef…</c>), so the same bytes are stored and sent once
/// whatever they are called. Uploads arrive in <c>uploads/SHA.part</c> and can resume at the length received; only a
/// part that hashes to its name becomes an object. <em>Refs</em> are small mutable names for objects: the checkpoint
/// of a running trial, the base built for a pretraining key.
/// </summary>
public sealed class ContentStore : IContentStore, IUploadSpace
{
    static readonly Regex RefName = new("^[A-Za-z0-9._-]{1,200}$", RegexOptions.Compiled);
    /// <summary>One writer per ref, by striping (as uploads are, in <see cref="UploadProtocol"/>).</summary>
    readonly object[] _refGates = Enumerable.Range(0, 64).Select(_ => new object()).ToArray();
    readonly UploadProtocol _uploads;

    object RefGate(string name) => _refGates[(int)((uint)StringComparer.Ordinal.GetHashCode(name) % (uint)_refGates.Length)];

    public string Root { get; }
    string Objects => Path.Combine(Root, "objects");
    string Uploads => Path.Combine(Root, "uploads");
    string Refs => Path.Combine(Root, "refs");

    public ContentStore(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Objects);
        Directory.CreateDirectory(Uploads);
        Directory.CreateDirectory(Refs);
        _uploads = new UploadProtocol(this);
    }

    public string PathOf(string sha) => Path.Combine(Objects, ContentHash.Check(sha)[..2], sha);

    public bool Has(string sha) => File.Exists(PathOf(sha));

    public long Length(string sha) => new FileInfo(PathOf(sha)).Length;

    public Stream OpenRead(string sha, long from)
    {
        var file = new FileStream(PathOf(sha), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        file.Seek(from, SeekOrigin.Begin);
        return file;
    }

    /// <summary>Bytes of an unfinished upload already kept (where the client resumes).</summary>
    public long Received(string sha)
    {
        var part = new FileInfo(PartOf(sha));
        return part.Exists ? part.Length : 0;
    }

    string PartOf(string sha) => Path.Combine(Uploads, ContentHash.Check(sha) + ".part");

    public Task<UploadOutcome> Receive(string sha, long offset, long total, Stream body, CancellationToken cancel = default) =>
        _uploads.Receive(sha, offset, total, body, cancel);

    async Task IUploadSpace.Append(string sha, long at, ReadOnlyMemory<byte> bytes)
    {
        await using var file = new FileStream(PartOf(sha), FileMode.Append, FileAccess.Write, FileShare.None, 1 << 20);
        await file.WriteAsync(bytes);
    }

    Stream IUploadSpace.ReadPart(string sha) => new FileStream(PartOf(sha), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);

    void IUploadSpace.DropPart(string sha) => File.Delete(PartOf(sha));

    void IUploadSpace.Publish(string sha, long length) => Place(PartOf(sha), sha);

    /// <summary>Adds a file of this machine (a coordinator's own worker, or a shared folder): hashed, copied in, named.</summary>
    public string Import(string file)
    {
        string sha = ContentHash.Of(file);
        if (Has(sha)) return sha;
        string temp = Path.Combine(Uploads, $"{sha}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.import");
        File.Copy(file, temp, overwrite: true);
        if (!ContentHash.Matches(temp, sha))
        {
            File.Delete(temp);
            throw new IOException($"{file} changed while it was being stored");
        }
        Place(temp, sha);
        return sha;
    }

    void Place(string file, string sha)
    {
        string target = PathOf(sha);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(file, target, overwrite: true);
    }

    public void Delete(string sha)
    {
        File.Delete(PathOf(sha));
        File.Delete(PartOf(sha));
    }

    // ----- refs -----

    string RefPath(string name) =>
        Path.Combine(Refs, RefName.IsMatch(name) && name != "." && name != ".." ? name : throw new ArgumentException($"'{name}' is not a valid ref name"));

    public static bool IsValidRef(string name) => RefName.IsMatch(name) && name != "." && name != "..";

    /// <summary>The object a ref names, or null (no such ref, or its object is gone).</summary>
    public string? GetRef(string name)
    {
        string path = RefPath(name);
        if (!File.Exists(path)) return null;
        string sha = File.ReadAllText(path).Trim();
        return ContentHash.IsValid(sha) && Has(sha) ? sha : null;
    }

    /// <summary>Points a ref at an object (which must be in the store); returns the object it named before, if any.</summary>
    public string? SetRef(string name, string sha)
    {
        if (!Has(sha)) throw new FileNotFoundException($"no artifact {sha} in the store");
        lock (RefGate(name))
        {
            string? before = GetRef(name);
            string path = RefPath(name), temp = path + ".tmp";
            File.WriteAllText(temp, sha);
            File.Move(temp, path, overwrite: true);
            return before;
        }
    }

    /// <summary>
    /// Points a ref at an object unless it already names one; returns what it names afterwards. The first claim wins:
    /// two workers that built the same base at once both end up using the first one's.
    /// </summary>
    public string Claim(string name, string sha)
    {
        if (!Has(sha)) throw new FileNotFoundException($"no artifact {sha} in the store");
        lock (RefGate(name))
        {
            if (GetRef(name) is { } existing) return existing;
            SetRef(name, sha);
            return sha;
        }
    }


    /// <summary>Removes a ref and, when <paramref name="withObject"/>, the object it named (a finished trial's checkpoint).</summary>
    public void DeleteRef(string name, bool withObject)
    {
        lock (RefGate(name))
        {
            string? sha = GetRef(name);
            File.Delete(RefPath(name));
            if (withObject && sha != null) Delete(sha);
        }
    }
}
