namespace Runner.Training.Engine;

/// <summary>
/// Files derived from a trial's inputs that trials share and that are expensive to make (pretrained base checkpoints,
/// frozen-stage features, decoded image folders), kept under one folder of this machine and named by a hash of
/// everything that determines them. (Not the cluster's artifacts: those are <c>Runner.Artifacts</c>' content stores.) Every file is written beside its target and renamed into
/// place, with a .sha256 sidecar so that a truncated or damaged file is detected instead of used.
/// </summary>
public sealed class DerivedFiles
{
    public string Root { get; }

    public DerivedFiles(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    public string PathFor(string kind, string name)
    {
        string folder = Path.Combine(Root, kind);
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }

    /// <summary>Files this process has hashed and found intact, with the size and write time they had then.</summary>
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Length, DateTime Written, string Hash)> Verified = new();

    /// <summary>
    /// True when the file and its checksum sidecar exist and agree. A file this process already verified is not
    /// hashed again while its size, write time and sidecar are unchanged: a worker reads the same base and feature
    /// files for trial after trial, and hashing a feature file of hundreds of MB each time would cost more than
    /// the trial.
    /// </summary>
    public static bool IsIntact(string path)
    {
        string sidecar = path + ".sha256";
        if (!File.Exists(path) || !File.Exists(sidecar)) return false;
        string expected = File.ReadAllText(sidecar).Trim();
        var info = new FileInfo(path);
        if (Verified.TryGetValue(path, out var seen) && seen == (info.Length, info.LastWriteTimeUtc, expected)) return true;
        if (expected != Sha256Of(path)) return false;
        Verified[path] = (info.Length, info.LastWriteTimeUtc, expected);
        return true;
    }

    /// <summary>Has <paramref name="write"/> produce the file at a temporary path, then records its checksum and moves it into place.</summary>
    public static void WriteAtomically(string path, Action<string> write)
    {
        string temp = $"{path}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        try { write(temp); }
        catch
        {
            // A half-written file (a decode stopped by a bad image can be gigabytes) is of no use to anyone.
            File.Delete(temp);
            throw;
        }
        string hash = Sha256Of(temp);
        File.Move(temp, path, overwrite: true);
        File.WriteAllText(path + ".sha256.tmp", hash);
        File.Move(path + ".sha256.tmp", path + ".sha256", overwrite: true);
        // Just hashed: its first use need not read it all again (a later change of the file still shows in IsIntact).
        var info = new FileInfo(path);
        Verified[path] = (info.Length, info.LastWriteTimeUtc, hash);
    }

    public static string Sha256Of(string path) => Runner.Artifacts.ContentHash.Of(path);

    /// <summary>
    /// Holds an exclusive lock file while <paramref name="action"/> runs, so that two processes sharing the store do
    /// not build the same artifact at once (the second waits and then finds it built).
    /// </summary>
    public static T WithLock<T>(string path, Func<T> action)
    {
        string lockPath = path + ".lock";
        var deadline = DateTime.UtcNow.AddHours(2);
        while (true)
        {
            try
            {
                using var handle = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
                return action();
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }
}
