using Runner.Artifacts;
using Runner.Sweeps;

namespace Runner.Cluster.Api;

/// <summary>
/// The files of a sweep that a remote client sent as text (POST /sweeps/file): each path the file names, as written
/// there, maps to the SHA-256 of what the client uploaded for it (the weight file itself; an image folder as a
/// <see cref="FolderArchive"/>). The coordinator reads them from a copy in its state folder, made once per upload
/// (a folder unpacked), so that the sweep file is validated exactly as `runner submit` validates it on the client's
/// machine, and trial ids are the same both ways (a folder is named by its files' relative paths and sizes). A path
/// not mapped, or mapped to an upload the store does not hold, is a <see cref="SourceRequest"/> for the client.
/// </summary>
public sealed class UploadedSources(IContentStore? store, string copies, IReadOnlyDictionary<string, string> files) : SweepFileSources
{
    /// <summary>One copy made at a time: two clients submitting the same upload must not unpack it over each other.</summary>
    static readonly SemaphoreSlim Copying = new(1, 1);

    /// <summary>The SHA-256 of the upload each copy was made from, by the copy's full path.</summary>
    readonly Dictionary<string, string> _uploadOf = new();

    /// <summary>Whether the sweep named any uploaded file.</summary>
    public bool Any => _uploadOf.Count > 0;

    /// <summary>The upload an image folder's (or list's) copy, a trial's DataPath, was unpacked from.</summary>
    public string ArchiveOf(string copy) => _uploadOf[Path.GetFullPath(copy)];

    public override string? Locate(string written, SourceKind kind)
    {
        if (store == null || !files.TryGetValue(written, out var sha) || !ContentHash.IsValid(sha) || !store.Has(sha)) return null;
        string folder = Path.Combine(copies, sha);
        // A weight file keeps its name: its extension says how to read it. A list of images sits at the top of its archive.
        string copy = Path.GetFullPath(kind == SourceKind.WeightFile ? Path.Combine(folder, Path.GetFileName(written)) : Path.Combine(folder, "folder"));
        string located = kind == SourceKind.WeightFile ? copy : ImageFolderLayout.InUnpacked(copy, written);
        _uploadOf[located] = sha;
        Copying.Wait();
        try
        {
            if (File.Exists(copy) || Directory.Exists(copy)) return located;
            Directory.CreateDirectory(folder);
            string temp = Path.Combine(folder, "download.tmp");
            using (var source = store.OpenRead(sha, 0))
            using (var target = File.Create(temp))
                source.CopyTo(target);
            if (kind == SourceKind.WeightFile) File.Move(temp, copy);
            else
            {
                try { FolderArchive.Extract(temp, copy); }
                catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
                {
                    throw new UploadedSourceException($"target.dataset.path: what was uploaded for '{written}' is not a folder archive ({e.Message})");
                }
                finally { File.Delete(temp); }
            }
            return located;
        }
        finally
        {
            Copying.Release();
        }
    }

    /// <summary>Built-in datasets are read from each worker's own copy (--data): a client's path means nothing here.</summary>
    public override string ResolveDataFolder(string written) => written;
}

/// <summary>An upload that cannot be what the sweep file says it is (an image folder's upload that is not an archive).</summary>
public sealed class UploadedSourceException(string message) : Exception(message);
