namespace Runner.Sweeps;

/// <summary>The kinds of file a sweep file names: <c>base.weights</c> and an image folder's <c>target.dataset.path</c>.</summary>
public enum SourceKind { WeightFile, ImageFolder }

/// <summary>
/// Where the files a sweep file names are read. Beside the file on this machine (`runner run`, `runner submit`:
/// relative paths from the file's folder); or, for a sweep a remote client sent as text (the API's POST
/// /sweeps/file, the Python client), in what that client uploaded first: there a file the client has not sent is
/// not an error of the sweep but a request, <see cref="SweepError.Upload"/>, that the client answers by uploading it.
/// </summary>
public abstract class SweepFileSources
{
    /// <summary>Relative paths from <paramref name="folder"/> (the sweep file's); null: as written (from the working folder).</summary>
    public static SweepFileSources Beside(string? folder) => new Local(folder);

    /// <summary>The path to read for what the file names as <paramref name="written"/>; null when it is not on this machine.</summary>
    public abstract string? Locate(string written, SourceKind kind);

    /// <summary>
    /// A built-in dataset's own folder (target.data) resolved to a full path, or kept as written where the reader
    /// is not the machine that wrote it (workers then read their own copy).
    /// </summary>
    public abstract string ResolveDataFolder(string written);

    sealed class Local(string? folder) : SweepFileSources
    {
        public override string Locate(string written, SourceKind kind) => Path.GetFullPath(folder == null ? written : Path.Combine(folder, written));

        public override string ResolveDataFolder(string written) => folder == null ? written : Path.GetFullPath(Path.Combine(folder, written));
    }
}
